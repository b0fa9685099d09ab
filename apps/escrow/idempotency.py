"""Idempotency-Key on money-moving API calls, by Stripe's rules.

A client that sends `Idempotency-Key: <1 to 255 printable ASCII characters>` may send the same
request again (after a timeout, a dropped connection) without moving money twice:

- the first request with a key runs, and its answer (status and JSON body, refusals included) is
  kept with the key, in the same transaction as whatever the request changed;
- the same key with the same request (method, path and body) answers that response again, with
  `Idempotent-Replayed: true`, and runs nothing;
- the same key with another request is a 409, and so is a repeat while the first still runs;
- a 5xx is not kept: what the request did is rolled back and the key released, so a retry runs.

Keys are per user and kept settings.PACTLINE_IDEMPOTENCY_KEY_HOURS (the Celery task
escrow.purge_idempotency_keys deletes older ones). Without the header a call runs as usual.

How two identical requests never both run: the key's row is inserted (and committed) first; the
request then runs inside a transaction that holds that row's lock. A twin that cannot take the lock
at once (NOWAIT) is the "still being processed" 409; one that takes it after the first committed
finds the stored response. A crash mid-request rolls back its work and leaves a row with no
response and no lock holder: the next identical request takes the lock and runs.
"""

import datetime as dt
import functools
import hashlib
import json

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.escrow.exceptions import EscrowError, IdempotencyConflict
from apps.escrow.models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
POSTGRES_LOCK_NOT_AVAILABLE = "55P03"

IN_FLIGHT = _("A request with this Idempotency-Key is still being processed; try again shortly.")
BAD_KEY = _("The Idempotency-Key header must be 1 to 255 printable ASCII characters.")

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Up to 255 printable ASCII characters, unique per request you mean (a UUID). Sent "
        "again with the same body, the first response is returned (with "
        "`Idempotent-Replayed: true`) and nothing runs twice; with a different body it is a "
        "409. Keys are kept at least 24 hours."
    ),
)


class _ServerError(Exception):
    """A 5xx answer: roll back what the request did and keep nothing under the key."""

    def __init__(self, response):
        self.response = response


class _RecordGone(Exception):
    """The key's row was deleted between claiming and locking it (a failed twin, the purge)."""


def idempotent(view_method):
    """Makes a DRF view method (an action) honour the Idempotency-Key header. Put it innermost,
    under @action and @extend_schema. The view runs inside a transaction: the services it calls
    must not be durable=True."""

    @functools.wraps(view_method)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return view_method(view, request, *args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH or not _printable_ascii(key):
            raise EscrowError(BAD_KEY)
        fingerprint = request_fingerprint(request)

        def run():
            return _run_view(view, view_method, request, args, kwargs)

        for _attempt in range(3):
            record = _claim(request.user, key, fingerprint)
            if record.request_fingerprint != fingerprint:
                raise IdempotencyConflict
            try:
                return _respond_once(record, run)
            except _RecordGone:
                continue
        raise IdempotencyConflict(IN_FLIGHT)

    return wrapper


def _printable_ascii(key):
    """Letters, digits, punctuation and spaces (a UUID, say): no control characters, which the
    database cannot store (NUL) or a log would garble."""
    return key.isascii() and key.isprintable()


# Only the model's table name is written in; every value is a parameter.
_CLAIM_SQL = f"""
WITH made AS (
    INSERT INTO "{IdempotencyRecord._meta.db_table}" ("user_id", "key", "request_fingerprint",
                                                     "created_at")
    VALUES (%s, %s, %s, %s)
    ON CONFLICT ("user_id", "key") DO NOTHING
    RETURNING "id", "request_fingerprint"
)
SELECT "id", "request_fingerprint" FROM made
UNION ALL
SELECT "id", "request_fingerprint" FROM "{IdempotencyRecord._meta.db_table}"
 WHERE "user_id" = %s AND "key" = %s"""  # noqa: S608


def _claim(user, key, fingerprint):
    """The key's record, inserted if it is new (and, outside a transaction, committed at once).
    On PostgreSQL in one statement: the insert, or else the row already there; a row a twin
    committed while this statement waited on it is not in its snapshot, so it is read after."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, [user.pk, key, fingerprint, timezone.now(), user.pk, key])
            row = cursor.fetchone()
        if row is not None:
            pk, stored = row
            return IdempotencyRecord(pk=pk, user=user, key=key, request_fingerprint=stored)
    record, _created = IdempotencyRecord.objects.get_or_create(
        user=user, key=key, defaults={"request_fingerprint": fingerprint}
    )
    return record


def _respond_once(record, run):
    try:
        with transaction.atomic():
            locked = _lock(record)
            if locked.response_status is not None:
                return _replay(locked)
            response = run()
            if response.status_code >= 500:
                raise _ServerError(response)
            locked.response_status = response.status_code
            locked.response_body = _json_body(response)
            locked.save(update_fields=["response_status", "response_body"])
            return response
    except _ServerError as failed:
        _release(record)
        return failed.response
    except (_RecordGone, IdempotencyConflict):
        raise
    except BaseException:
        _release(record)
        raise


def _lock(record):
    try:
        locked = (
            IdempotencyRecord.objects.select_for_update(nowait=True).filter(pk=record.pk).first()
        )
    except DatabaseError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == POSTGRES_LOCK_NOT_AVAILABLE:
            raise IdempotencyConflict(IN_FLIGHT) from exc
        raise
    if locked is None:
        raise _RecordGone
    return locked


def _release(record):
    IdempotencyRecord.objects.filter(pk=record.pk, response_status__isnull=True).delete()


def _run_view(view, view_method, request, args, kwargs):
    """The view's answer as a response, refusals included (as DRF's dispatch would make them);
    what a refused request wrote is rolled back with its savepoint."""
    try:
        with transaction.atomic():
            return view_method(view, request, *args, **kwargs)
    except Exception as exc:
        # DRF answers what it knows (the domain errors, 404, validation) and re-raises the rest.
        return view.handle_exception(exc)


def _json_body(response):
    data = getattr(response, "data", None)
    if data is None:
        return None
    # As the client receives it: ErrorDetail, dates and lazy strings become plain JSON.
    return _without_nul(json.loads(JSONRenderer().render(data)))


def _without_nul(value):
    """PostgreSQL's JSON cannot hold a NUL character; a refusal that repeats one (a form field
    sent with %00) is kept with U+FFFD in its place."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _replay(record):
    return Response(
        record.response_body,
        status=record.response_status,
        headers={REPLAYED_HEADER: "true"},
    )


# --- the request's fingerprint ------------------------------------------------------------------


def request_fingerprint(request) -> str:
    """sha256 over the method, the path and the body in a canonical form: a JSON body with its
    keys sorted; form fields (multipart) by name, files by name and size."""
    canonical = json.dumps(
        _canonical(request.data),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    text = f"{request.method}\n{request.path}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(data):
    if isinstance(data, QueryDict):
        return {name: [_canonical(v) for v in values] for name, values in data.lists()}
    if isinstance(data, UploadedFile):
        return {"file": data.name, "size": data.size}
    if isinstance(data, dict):
        return {str(name): _canonical(value) for name, value in data.items()}
    if isinstance(data, list | tuple):
        return [_canonical(value) for value in data]
    return data


# --- keeping keys ---------------------------------------------------------------------------------


def idempotency_records_purge(*, now=None) -> int:
    """Deletes the keys older than settings.PACTLINE_IDEMPOTENCY_KEY_HOURS; returns how many.
    Their keys can be used again afterwards."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.PACTLINE_IDEMPOTENCY_KEY_HOURS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
