"""Personal data encrypted at rest: the bank account numbers payouts and refunds go to.

A database dump or backup on its own does not give them away: the numbers are stored encrypted
(Fernet: AES-128-CBC with HMAC-SHA256, from the `cryptography` package) under keys that live in
the environment, not in the database (settings.PACTLINE_DATA_KEYS: the first key encrypts, every
key decrypts, so a new key can be put first and the old ones kept until
`manage.py data_keys_rotate` has encrypted everything again under the new one).

The same text encrypts differently each time, so an encrypted column cannot be searched. A
keyed digest (HMAC-SHA256 under a key derived from each data key) stands beside it: staff find an
account by its full number, and the same account given by two users is found, without the number
being stored readable."""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver


class DataKeyMissing(ImproperlyConfigured):
    """Stored data was encrypted under a key PACTLINE_DATA_KEYS no longer lists."""


def new_key() -> str:
    """A new data key (32 random bytes, URL-safe base64, as Fernet takes it)."""
    return Fernet.generate_key().decode()


@cache
def _fernet():
    keys = list(settings.PACTLINE_DATA_KEYS)
    if not keys:
        raise ImproperlyConfigured("PACTLINE_DATA_KEYS lists no key.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "Each key in PACTLINE_DATA_KEYS is 32 bytes in URL-safe base64 "
            "(python manage.py data_keys_rotate --new-key prints one)."
        ) from exc


def keys_check():
    """ImproperlyConfigured unless PACTLINE_DATA_KEYS lists at least one key and only keys."""
    _fernet()


@cache
def _digest_keys():
    """One digest key per data key, derived from it (the data key itself never signs)."""
    _fernet()  # the keys are keys, or the error that says so
    return [
        hashlib.sha256(b"pactline-data-digest:" + base64.urlsafe_b64decode(key)).digest()
        for key in settings.PACTLINE_DATA_KEYS
    ]


@receiver(setting_changed)
def _keys_changed(setting, **kwargs):
    if setting == "PACTLINE_DATA_KEYS":
        _fernet.cache_clear()
        _digest_keys.cache_clear()


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DataKeyMissing(
            "Encrypted data could not be read with any key in PACTLINE_DATA_KEYS: a key it was "
            "encrypted with has been removed or changed."
        ) from exc


def digest(text: str) -> str:
    """The keyed digest of `text` under the first key, as stored."""
    return digests(text)[0]


def digests(text: str) -> list[str]:
    """Its digest under every key, first key first: a search matches rows written under any of
    them, before and after a rotation."""
    return [hmac.new(key, text.encode(), hashlib.sha256).hexdigest() for key in _digest_keys()]


class EncryptedTextField(models.TextField):
    """Text stored encrypted and read back as text. An empty value is stored empty, so that
    constraints can still tell a given value from none. Queries can only compare it with "" (or
    NULL): search by the digest beside it."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_db_prep_save(self, value, connection):
        value = self.get_prep_value(value)
        return encrypt(value) if value else value

    def get_lookup(self, lookup_name):
        if lookup_name not in ("exact", "isnull"):
            return None  # the ORM answers: unsupported lookup for this field
        return super().get_lookup(lookup_name)


@EncryptedTextField.register_lookup
class _EmptyOnly(models.lookups.Exact):
    """`field=""` only: any other text would be compared with its encrypted form and match
    nothing, without a word."""

    lookup_name = "exact"

    def get_prep_lookup(self):
        if self.rhs != "" and not hasattr(self.rhs, "resolve_expression"):
            raise ValueError(
                f"{self.lhs.target.name} is stored encrypted: compare it with '' only and "
                "find a value by its digest."
            )
        return super().get_prep_lookup()
