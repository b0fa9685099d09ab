"""Pactline settings: one module, every value read from the environment.

The defaults give a working local site with no server at all (SQLite in var/, Celery's
filesystem broker in var/, console email). Production sets DEBUG off and the variables
listed in docs/deployment.md; `manage.py check --deploy` then reports nothing.
"""

import base64
import hashlib
import os
import re
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PACTLINE_VAR_DIR", BASE_DIR / "var"))


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name, default):
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def local_secret_key():
    """A random key kept in var/ so a local site needs no configuration and no secret is
    committed. Production must set SECRET_KEY (docs/deployment.md)."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        from django.core.management.utils import get_random_secret_key

        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(get_random_secret_key())
    return path.read_text().strip()


def local_data_key():
    """A random data key (apps/core/crypto.py) kept in var/ for a local site. Production sets
    PACTLINE_DATA_KEYS, the same on every host (docs/deployment.md)."""
    path = VAR_DIR / "data_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY") or local_secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "django_htmx",
    "csp",
    "django_filters",
    "apps.core",
    "apps.accounts",
    "apps.suppliers",
    "apps.catalog",
    "apps.orders",
    "apps.escrow",
    "apps.disputes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.accounts.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.accounts.context_processors.portal",
            ],
        },
    },
]
# Every form, ours and allauth's, renders with Bootstrap markup from templates/forms/ and the
# widget templates in templates/django/forms/.
FORM_RENDERER = "apps.accounts.forms.BootstrapFormRenderer"

# --- Database -------------------------------------------------------------------------------
DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'pactline.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL") or DEFAULT_SQLITE_URL,
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a health check that needs no round trip (apps/core/postgresql).
    DATABASES["default"]["ENGINE"] = "apps.core.postgresql"
    DATABASES["default"]["OPTIONS"] = {
        # Parameters travel apart from the SQL (server-side binding), so a query's text is the
        # same on every call and psycopg prepares it on its 5th use on a connection: PostgreSQL
        # then skips parsing and planning it (the order document's plan alone costs more than
        # running it). Off (DATABASE_PREPARED_STATEMENTS=false) behind a pooler in transaction
        # mode that does not keep prepared statements (PgBouncer < 1.21, or without
        # max_prepared_statements).
        "server_side_binding": True,
        "prepare_threshold": 5 if env_bool("DATABASE_PREPARED_STATEMENTS", True) else None,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web, the worker and beat read while one of them writes; IMMEDIATE
        # takes the write lock at BEGIN so concurrent writers queue instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (allauth rate limits and DRF throttles need one shared by every process) ---------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")


def default_cache_url():
    # With Redis as the broker, the cache lives in the next Redis database of the same server.
    match = re.match(r"^(rediss?://[^/]+)(?:/(\d+))?", CELERY_BROKER_URL)
    if match:
        return f"{match.group(1)}/{int(match.group(2) or 0) + 1}"
    return ""


CACHE_URL = env("CACHE_URL") or default_cache_url()
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "pactline"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Auth and accounts (django-allauth 65) ---------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal_home"
ACCOUNT_ADAPTER = "apps.accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "apps.accounts.forms.CompanySignupForm"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Pactline] "
# Security notices by email (allauth): a changed password, an email address added, removed or
# made primary. With payouts going to a bank account set by password, a takeover must not pass
# unnoticed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# allauth's defaults, stated so that they are visibly on: 5 failed logins per account in
# 5 minutes, 10 per minute per IP, and the rest of allauth's per-action limits.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
}

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", VAR_DIR / "media"))
# Licences, certificates, invoices, evidence: outside every public path, streamed by views that
# check access (apps/core/uploads.py).
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {
        "BACKEND": env("DEFAULT_FILE_STORAGE", "django.core.files.storage.FileSystemStorage")
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Email -----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Pactline <no-reply@pactline.localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Security --------------------------------------------------------------------------------
# Secure transport is on whenever DEBUG is off; HTTPS_ONLY=0 turns it off for a plain-HTTP
# staging box. Behind a TLS-terminating proxy, set SECURE_PROXY_SSL_HEADER=1.
HTTPS_ONLY = env_bool("HTTPS_ONLY", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS_ONLY
# Links in emails (verification, password reset) use the scheme the site is served on.
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS_ONLY else "http"
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if HTTPS_ONLY else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS_ONLY)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS_ONLY)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", "60/minute"),
        "user": env("API_THROTTLE_USER", "600/minute"),
        "auth_token": env("API_THROTTLE_AUTH_TOKEN", "10/minute"),
        # Calls that check the account's password again (the payout bank account).
        "password_check": env("API_THROTTLE_PASSWORD_CHECK", "10/minute"),
    },
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "DEFAULT_METADATA_CLASS": "config.api.ApiMetadata",
    "DEFAULT_PARSER_CLASSES": [
        "config.api.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pactline API",
    "DESCRIPTION": "Trade Assurance marketplace: buyers, suppliers, orders in escrow.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",  # the default
        "config.api.document_list_answers",
    ],
    # Two choice sets share the field name "method": paying into escrow, and paying for Gold.
    "ENUM_NAME_OVERRIDES": {
        "MethodEnum": "apps.escrow.models.Payment.Method",  # its name before Gold came
        "GoldPurchaseMethodEnum": "apps.escrow.models.GoldPurchase.Method",
    },
}

# --- Celery ----------------------------------------------------------------------------------
# The beat schedule is kept in code in config/celery.py.
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
# One queue per deployment by default; a test worker gets a queue of its own.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "out"),
        "data_folder_out": str(VAR_DIR / "broker" / "out"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
    # Kombu's filesystem transport does not create its folders.
    for folder in ("out", "processed", "control"):
        (VAR_DIR / "broker" / folder).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long /healthz waits for the broker before calling it down.
PACTLINE_HEALTHZ_BROKER_TIMEOUT = float(env("PACTLINE_HEALTHZ_BROKER_TIMEOUT", "2"))

# --- Policies (documented in docs/policies.md) ---------------------------------------------
# Absolute links in emails.
PACTLINE_SITE_URL = env("PACTLINE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
PACTLINE_NOTIFICATION_MAX_ATTEMPTS = env_int("PACTLINE_NOTIFICATION_MAX_ATTEMPTS", 10)
PACTLINE_UPLOAD_MAX_BYTES = env_int("PACTLINE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
PACTLINE_IMAGE_MAX_BYTES = env_int("PACTLINE_IMAGE_MAX_BYTES", 5 * 1024 * 1024)
PACTLINE_IMAGE_MAX_PIXELS = env_int("PACTLINE_IMAGE_MAX_PIXELS", 40_000_000)
PACTLINE_THUMBNAIL_SIZE = (480, 480)
PACTLINE_VERIFICATION_REVIEW_BUSINESS_DAYS = env_int(
    "PACTLINE_VERIFICATION_REVIEW_BUSINESS_DAYS", 2
)
PACTLINE_GOLD_MEMBERSHIP_DAYS = env_int("PACTLINE_GOLD_MEMBERSHIP_DAYS", 365)
# A year of Gold bought through the payment provider, in US cents.
PACTLINE_GOLD_PRICE_USD = env_int("PACTLINE_GOLD_PRICE_USD", 299_900)
# A member can buy its next year in the last this-many days of the current one.
PACTLINE_GOLD_RENEWAL_DAYS = env_int("PACTLINE_GOLD_RENEWAL_DAYS", 90)
# Trade Assurance Amount (USD cents); the formula is in docs/policies.md.
PACTLINE_TA_LOOKBACK_DAYS = env_int("PACTLINE_TA_LOOKBACK_DAYS", 182)
PACTLINE_TA_BASE_AMOUNT = env_int("PACTLINE_TA_BASE_AMOUNT", 1_000_000)
PACTLINE_TA_VOLUME_SHARE = env("PACTLINE_TA_VOLUME_SHARE", "0.5")
PACTLINE_TA_DISPUTE_PENALTY = env("PACTLINE_TA_DISPUTE_PENALTY", "0.25")
PACTLINE_TA_MAX_AMOUNT = env_int("PACTLINE_TA_MAX_AMOUNT", 100_000_000)
PACTLINE_TA_ROUND_TO = env_int("PACTLINE_TA_ROUND_TO", 10_000)
# Storefront figures
PACTLINE_STOREFRONT_ORDER_DAYS = env_int("PACTLINE_STOREFRONT_ORDER_DAYS", 365)
PACTLINE_RESPONSE_WINDOW_DAYS = env_int("PACTLINE_RESPONSE_WINDOW_DAYS", 30)
PACTLINE_RESPONSE_TARGET_HOURS = env_int("PACTLINE_RESPONSE_TARGET_HOURS", 24)
# Storefront figures are at most an hour old: cached an hour, and the suppliers whose orders
# moved are recomputed by beat every PACTLINE_STOREFRONT_REFRESH_MINUTES.
PACTLINE_STOREFRONT_CACHE_SECONDS = env_int("PACTLINE_STOREFRONT_CACHE_SECONDS", 3600)
# Indicative rates to US dollars, for coverage limits and storefront totals only (never to move
# money). Operators update them; docs/policies.md.
PACTLINE_INDICATIVE_USD_RATES = {
    "USD": "1",
    "EUR": "1.08",
    "GBP": "1.27",
    "CNY": "0.14",
    "JPY": "0.0067",
    "INR": "0.012",
    "TRY": "0.029",
    "AUD": "0.66",
    "CAD": "0.73",
    "CHF": "1.13",
}
# Escrow and payments
PACTLINE_WEBHOOK_TOLERANCE_SECONDS = env_int("PACTLINE_WEBHOOK_TOLERANCE_SECONDS", 300)
# The sandbox provider's webhook signing secret; derived from SECRET_KEY unless set.
PACTLINE_SANDBOX_WEBHOOK_SECRET = env("PACTLINE_SANDBOX_WEBHOOK_SECRET") or (
    "sandbox-" + hashlib.sha256(f"{SECRET_KEY}:sandbox-webhooks".encode()).hexdigest()
)
PACTLINE_IDEMPOTENCY_KEY_HOURS = env_int("PACTLINE_IDEMPOTENCY_KEY_HOURS", 48)
# After a supplier changes its payout bank account, payouts to the new one wait this long (the
# first account ever set is not held): time to read the email about the change.
PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS = env_int("PACTLINE_PAYOUT_ACCOUNT_HOLD_HOURS", 24)
# Bank account numbers are stored encrypted (apps/core/crypto.py): the first key encrypts,
# every key decrypts; `manage.py data_keys_rotate` moves everything to the first one.
PACTLINE_DATA_KEYS = env_list("PACTLINE_DATA_KEYS") or [local_data_key()]
PACTLINE_DATA_KEYS_LOCAL = not env_list("PACTLINE_DATA_KEYS")
# A refund by bank transfer the bank has not answered, or a refused one nobody sent again, after
# this many days: staff are reminded (and again every as many days until it is done).
PACTLINE_REFUND_CHASE_DAYS = env_int("PACTLINE_REFUND_CHASE_DAYS", 10)
# The same for a payout to a supplier's bank.
PACTLINE_PAYOUT_CHASE_DAYS = env_int("PACTLINE_PAYOUT_CHASE_DAYS", 5)
# Orders: the latest ship-by date a contract may name, in days from today.
PACTLINE_ORDER_MAX_SHIP_BY_DAYS = env_int("PACTLINE_ORDER_MAX_SHIP_BY_DAYS", 730)

# The clock (docs/policies.md, "Deadlines"): what beat enforces and when.
PACTLINE_SHIP_BY_REMINDER_DAYS = env_int("PACTLINE_SHIP_BY_REMINDER_DAYS", 3)
PACTLINE_SHIP_BY_MAX_EXTENSION_DAYS = env_int("PACTLINE_SHIP_BY_MAX_EXTENSION_DAYS", 90)
PACTLINE_LATE_BALANCE_SHIP_DAYS = env_int("PACTLINE_LATE_BALANCE_SHIP_DAYS", 7)
PACTLINE_OVERDUE_DECISION_DAYS = env_int("PACTLINE_OVERDUE_DECISION_DAYS", 7)
PACTLINE_INSPECTION_DAYS = env_int("PACTLINE_INSPECTION_DAYS", 15)
PACTLINE_UNDELIVERED_RELEASE_DAYS = env_int("PACTLINE_UNDELIVERED_RELEASE_DAYS", 60)
PACTLINE_RECEIPT_EXTENSION_DAYS = env_int("PACTLINE_RECEIPT_EXTENSION_DAYS", 15)
PACTLINE_RELEASE_REMINDER_DAYS = env_int("PACTLINE_RELEASE_REMINDER_DAYS", 3)
PACTLINE_UNPAID_EXPIRY_DAYS = env_int("PACTLINE_UNPAID_EXPIRY_DAYS", 14)
PACTLINE_STOREFRONT_REFRESH_MINUTES = env_int("PACTLINE_STOREFRONT_REFRESH_MINUTES", 60)
# A sweep hands chunks of this many due rows to the worker pool (one chunk is one transaction).
PACTLINE_SWEEP_CHUNK_SIZE = env_int("PACTLINE_SWEEP_CHUNK_SIZE", 200)
# At most this many due rows per sweep; the next beat tick takes the rest.
PACTLINE_SWEEP_MAX_PER_RUN = env_int("PACTLINE_SWEEP_MAX_PER_RUN", 50_000)
# Disputes (docs/policies.md, "Disputes"): windows in calendar days unless named business days.
PACTLINE_DISPUTE_COVERAGE_DAYS = env_int("PACTLINE_DISPUTE_COVERAGE_DAYS", 30)
PACTLINE_DISPUTE_ANSWER_DAYS = env_int("PACTLINE_DISPUTE_ANSWER_DAYS", 3)
PACTLINE_DISPUTE_ESCALATION_OPENS_DAYS = env_int("PACTLINE_DISPUTE_ESCALATION_OPENS_DAYS", 3)
PACTLINE_DISPUTE_AUTO_ESCALATE_DAYS = env_int("PACTLINE_DISPUTE_AUTO_ESCALATE_DAYS", 7)
PACTLINE_DISPUTE_RETURN_SHIP_DAYS = env_int("PACTLINE_DISPUTE_RETURN_SHIP_DAYS", 10)
PACTLINE_DISPUTE_RETURN_CONFIRM_DAYS = env_int("PACTLINE_DISPUTE_RETURN_CONFIRM_DAYS", 5)
PACTLINE_DISPUTE_PICKUP_BUSINESS_DAYS = env_int("PACTLINE_DISPUTE_PICKUP_BUSINESS_DAYS", 2)
PACTLINE_DISPUTE_EVIDENCE_DAYS = env_int("PACTLINE_DISPUTE_EVIDENCE_DAYS", 5)
PACTLINE_DISPUTE_DECISION_BUSINESS_DAYS = env_int("PACTLINE_DISPUTE_DECISION_BUSINESS_DAYS", 2)
PACTLINE_DISPUTE_APPEAL_DAYS = env_int("PACTLINE_DISPUTE_APPEAL_DAYS", 10)
PACTLINE_DISPUTE_MAX_EVIDENCE_FILES = env_int("PACTLINE_DISPUTE_MAX_EVIDENCE_FILES", 10)
PACTLINE_CATALOG_PAGE_SIZE = env_int("PACTLINE_CATALOG_PAGE_SIZE", 24)
PACTLINE_CATALOG_MAX_PRICE_TIERS = env_int("PACTLINE_CATALOG_MAX_PRICE_TIERS", 10)
PACTLINE_CATALOG_MAX_SPECIFICATIONS = env_int("PACTLINE_CATALOG_MAX_SPECIFICATIONS", 30)
PACTLINE_CATALOG_MAX_IMAGES = env_int("PACTLINE_CATALOG_MAX_IMAGES", 8)
PACTLINE_CATALOG_MAX_LEAD_TIME_DAYS = env_int("PACTLINE_CATALOG_MAX_LEAD_TIME_DAYS", 365)
PACTLINE_CATALOG_IMPORT_MAX_ROWS = env_int("PACTLINE_CATALOG_IMPORT_MAX_ROWS", 1000)
PACTLINE_CATALOG_IMPORT_MAX_BYTES = env_int(
    "PACTLINE_CATALOG_IMPORT_MAX_BYTES", PACTLINE_UPLOAD_MAX_BYTES
)
# Buyers' price filters are in this currency unless they choose another.
PACTLINE_CATALOG_PRICE_CURRENCY = env("PACTLINE_CATALOG_PRICE_CURRENCY", "USD")
# Result counts stop here ("more than 10,000 products"): counting every match of a broad
# search is what made large listings slow.
PACTLINE_CATALOG_COUNT_LIMIT = env_int("PACTLINE_CATALOG_COUNT_LIMIT", 10_000)

# --- Logging ---------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
