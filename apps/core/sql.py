"""One-row reads on the hottest paths (an API call's token, the order row a step locks), written
once per process from the models' metadata and run as plain SQL. The ORM would compile the same
statement again on every call, which costs about 0.5-1 ms here, more than the database takes to
answer it."""

from functools import cache

from django.db import connection


def columns(model, alias=None):
    """(`alias`."column", ... for every concrete field of `model`, their attribute names): a
    select list that Model.from_db(alias, attnames, row) turns back into an instance."""
    quote = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    fields = model._meta.concrete_fields
    return (
        ", ".join(f"{prefix}{quote(field.column)}" for field in fields),
        [field.attname for field in fields],
    )


@cache
def _select(model, where, for_update):
    quote = connection.ops.quote_name
    select_list, attnames = columns(model)
    # Only names from the models and the callers' constant conditions are written in; every
    # value is a parameter.
    sql = f"SELECT {select_list} FROM {quote(model._meta.db_table)} WHERE {where}"  # noqa: S608
    if for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql, attnames


def row_get(model, where, params, *, for_update=False):
    """The `model` instance of the one row matching `where` (SQL over the table's own columns,
    with %s for each of `params`), or None. for_update locks it (SELECT ... FOR UPDATE), as
    select_for_update() would."""
    sql, attnames = _select(model, where, for_update)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else model.from_db(connection.alias, attnames, row)
