"""Django's PostgreSQL backend with a health check that costs no round trip when nothing is
wrong (base.py). settings.py names it as the ENGINE for every postgres:// DATABASE_URL."""
