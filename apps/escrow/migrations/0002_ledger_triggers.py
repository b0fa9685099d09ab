"""PostgreSQL guards on the ledger, beside the service's own checks:

- a deferred constraint trigger: at commit, every entry's postings sum to zero per currency;
- ledger entries and postings are never updated or deleted (a correction is a new entry).

SQLite (the local demo) has neither; the service checks balance there."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION escrow_entry_balanced() RETURNS trigger AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT currency, SUM(amount) AS total INTO unbalanced
      FROM escrow_ledgerposting
     WHERE entry_id = NEW.entry_id
     GROUP BY currency
    HAVING SUM(amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger entry % is unbalanced: % %', NEW.entry_id, unbalanced.total, unbalanced.currency
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER escrow_entry_balanced
    AFTER INSERT ON escrow_ledgerposting
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION escrow_entry_balanced();

CREATE FUNCTION escrow_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger rows are never updated or deleted; write a correcting entry'
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER escrow_posting_append_only BEFORE UPDATE OR DELETE ON escrow_ledgerposting
    FOR EACH ROW EXECUTE FUNCTION escrow_ledger_append_only();
CREATE TRIGGER escrow_entry_append_only BEFORE UPDATE OR DELETE ON escrow_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION escrow_ledger_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS escrow_entry_append_only ON escrow_ledgerentry;
DROP TRIGGER IF EXISTS escrow_posting_append_only ON escrow_ledgerposting;
DROP FUNCTION IF EXISTS escrow_ledger_append_only();
DROP TRIGGER IF EXISTS escrow_entry_balanced ON escrow_ledgerposting;
DROP FUNCTION IF EXISTS escrow_entry_balanced();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("escrow", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
