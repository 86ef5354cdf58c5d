"""Database guards that hold under concurrent transactions (PostgreSQL).

- The cross-table number guard (a number is free, reserved, a dial-in or a base number, never two)
  now takes a transaction-scoped advisory lock on every 1,000-number block (the first seven digits)
  its statement touches, in a stable order, before it looks at the other tables. Two transactions
  putting the same number into two tables therefore meet on the lock: the second waits for the
  first to commit and then sees its row (READ COMMITTED takes a new snapshot per statement).
- A reservation code's lifecycle is one way: a used code cannot be deleted (and so not re-created;
  only a whole demo reset, which sets portal.demo_reset in its transaction, removes it),
  and numbers can only be attached to a code that is still available.

The SQL is frozen here (a migration never imports live code).
"""

from django.db import migrations

NUMBER_TABLES = ("numbering_stocknumber", "numbering_reservednumber", "numbering_dialinnumber",
                 "numbering_basenumber")


def _guard(table: str) -> str:
    others = [t for t in NUMBER_TABLES if t != table]
    exists = " OR ".join(f"EXISTS (SELECT 1 FROM {o} x WHERE x.number = n.number)" for o in others)
    return f"""
CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE clash text;
BEGIN
  PERFORM pg_advisory_xact_lock(81, b.block)
    FROM (SELECT DISTINCT left(number, 7)::int AS block FROM new_rows ORDER BY 1) b;
  SELECT n.number INTO clash FROM new_rows n WHERE {exists} LIMIT 1;
  IF clash IS NOT NULL THEN
    RAISE EXCEPTION 'number % already exists in another number table', clash
      USING ERRCODE = 'unique_violation';
  END IF;
  RETURN NULL;
END $$;
"""


CODE_GUARDS = """
CREATE OR REPLACE FUNCTION numbering_reservationcode_keep_used() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('portal.demo_reset', true), '') = 'on' THEN
    RETURN OLD;  -- load_demo --reset removes everything, in one transaction
  END IF;
  RAISE EXCEPTION 'reservation code % is used and is kept', OLD.code USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER numbering_reservationcode_keep_used BEFORE DELETE ON numbering_reservationcode
  FOR EACH ROW WHEN (OLD.status = 'used') EXECUTE FUNCTION numbering_reservationcode_keep_used();

CREATE OR REPLACE FUNCTION numbering_reservednumber_code_open() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE bad text;
BEGIN
  SELECT c.code INTO bad FROM new_rows n JOIN numbering_reservationcode c ON c.id = n.code_id
   WHERE c.status <> 'available' LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'reservation code % is not available: no numbers can be attached', bad
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER numbering_reservednumber_code_open_insert AFTER INSERT ON numbering_reservednumber
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION numbering_reservednumber_code_open();
CREATE TRIGGER numbering_reservednumber_code_open_update AFTER UPDATE ON numbering_reservednumber
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION numbering_reservednumber_code_open();
"""

DROP_CODE_GUARDS = """
DROP TRIGGER IF EXISTS numbering_reservationcode_keep_used ON numbering_reservationcode;
DROP FUNCTION IF EXISTS numbering_reservationcode_keep_used();
DROP TRIGGER IF EXISTS numbering_reservednumber_code_open_insert ON numbering_reservednumber;
DROP TRIGGER IF EXISTS numbering_reservednumber_code_open_update ON numbering_reservednumber;
DROP FUNCTION IF EXISTS numbering_reservednumber_code_open();
"""


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # the embedded SQLite default has one writer at a time
    for table in NUMBER_TABLES:
        schema_editor.execute(_guard(table), params=None)
    schema_editor.execute(CODE_GUARDS, params=None)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_CODE_GUARDS, params=None)


class Migration(migrations.Migration):
    dependencies = [("numbering", "0004_representative_group_nullable")]

    operations = [migrations.RunPython(install, uninstall)]
