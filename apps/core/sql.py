"""One-row reads on the hottest paths (an API call's token, the order row a step locks), written
once per process from the models' metadata and run as plain SQL. The ORM would compile the same
statement again on every call, which costs about 0.5-1 ms here, more than the database takes to
answer it."""

from functools import cache

from django.db import connection


def columns(model, alias=None):
    """`alias`."column", ... for every concrete field of `model`, in the order instance() reads
    them back."""
    quote = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{quote(field.column)}" for field in model._meta.concrete_fields)


@cache
def _loading(model):
    """The attribute names of `model`'s concrete fields and, per column that needs them, the
    converters the ORM applies to a value read from this database (the backend's, such as
    SQLite's for aware datetimes, then the field's from_db_value)."""
    fields = model._meta.concrete_fields
    converters = []
    for n, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((n, column, found))
    return [field.attname for field in fields], converters


def instance(model, values):
    """The `model` instance of a row read with columns(model): values converted as the ORM
    converts them, then Model.from_db."""
    attnames, converters = _loading(model)
    if converters:
        values = list(values)
        for n, column, functions in converters:
            for function in functions:
                values[n] = function(values[n], column, connection)
    return model.from_db(connection.alias, attnames, values)


@cache
def _select(model, where, for_update):
    quote = connection.ops.quote_name
    # Only names from the models and the callers' constant conditions are written in; every
    # value is a parameter.
    sql = f"SELECT {columns(model)} FROM {quote(model._meta.db_table)} WHERE {where}"  # noqa: S608
    if for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql


def row_get(model, where, params, *, for_update=False):
    """The `model` instance of the one row matching `where` (SQL over the table's own columns,
    with %s for each of `params`), or None. for_update locks it (SELECT ... FOR UPDATE), as
    select_for_update() would."""
    with connection.cursor() as cursor:
        cursor.execute(_select(model, where, for_update), params)
        row = cursor.fetchone()
    return None if row is None else instance(model, row)
