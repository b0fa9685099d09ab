"""Text the database and UTF-8 can carry."""


def json_storable(value):
    """True unless `value` (parsed JSON) holds a string with a NUL character, which PostgreSQL
    cannot store, or an unpaired surrogate (a "\\ud800" escape), which is not Unicode text and
    cannot be written back as UTF-8."""
    if isinstance(value, str):
        if "\x00" in value:
            return False
        if value.isascii():
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(json_storable(key) and json_storable(item) for key, item in value.items())
    if isinstance(value, list):
        return all(json_storable(item) for item in value)
    return True
