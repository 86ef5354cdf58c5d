"""Database guards across tables: a number is free, reserved, a dial-in or a base number,
never two of these at once. Frozen here: a migration never imports live code; statement-level on PostgreSQL
(one check per INSERT statement, cheap for bulk issuance), row-level on SQLite."""

from django.db import migrations


NUMBER_TABLES = (
    "numbering_stocknumber",
    "numbering_reservednumber",
    "numbering_dialinnumber",
    "numbering_basenumber",
)
CODE_TABLE = "numbering_reservationcode"


def _pg_function(table: str) -> str:
    others = [t for t in NUMBER_TABLES if t != table]
    exists = " OR ".join(
        f"EXISTS (SELECT 1 FROM {o} x WHERE x.number = n.number)" for o in others
    )
    return f"""
CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE clash text;
BEGIN
  SELECT n.number INTO clash FROM new_rows n WHERE {exists} LIMIT 1;
  IF clash IS NOT NULL THEN
    RAISE EXCEPTION 'number % already exists in another number table', clash
      USING ERRCODE = 'unique_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER {table}_guard_insert AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_guard();
CREATE TRIGGER {table}_guard_update AFTER UPDATE ON {table}
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_guard();
"""


PG_CODE_GUARD = f"""
CREATE OR REPLACE FUNCTION {CODE_TABLE}_used_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status OR NEW.used_at IS DISTINCT FROM OLD.used_at
     OR NEW.used_by IS DISTINCT FROM OLD.used_by OR NEW.contract_id IS DISTINCT FROM OLD.contract_id THEN
    RAISE EXCEPTION 'reservation code % is already used', OLD.code
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER {CODE_TABLE}_used_once BEFORE UPDATE ON {CODE_TABLE}
  FOR EACH ROW WHEN (OLD.status = 'used') EXECUTE FUNCTION {CODE_TABLE}_used_once();
"""


def _sqlite_triggers(table: str) -> list[str]:
    others = [t for t in NUMBER_TABLES if t != table]
    exists = " OR ".join(f"EXISTS (SELECT 1 FROM {o} WHERE number = NEW.number)" for o in others)
    return [
        f"""CREATE TRIGGER {table}_guard_{event.lower()} BEFORE {event} ON {table}
FOR EACH ROW WHEN {exists}
BEGIN SELECT RAISE(ABORT, 'number already exists in another number table'); END;"""
        for event in ("INSERT", "UPDATE")
    ]


SQLITE_CODE_GUARD = f"""CREATE TRIGGER {CODE_TABLE}_used_once BEFORE UPDATE ON {CODE_TABLE}
FOR EACH ROW WHEN OLD.status = 'used' AND (NEW.status IS NOT OLD.status
  OR NEW.used_at IS NOT OLD.used_at OR NEW.used_by IS NOT OLD.used_by
  OR NEW.contract_id IS NOT OLD.contract_id)
BEGIN SELECT RAISE(ABORT, 'reservation code is already used'); END;"""


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [_pg_function(t) for t in NUMBER_TABLES] + [PG_CODE_GUARD]
    elif vendor == "sqlite":
        statements = [s for t in NUMBER_TABLES for s in _sqlite_triggers(t)] + [SQLITE_CODE_GUARD]
    else:
        raise NotImplementedError(f"no number guards for {vendor}")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for table in NUMBER_TABLES:
        for event in ("insert", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_guard_{event}" + (
                f" ON {table}" if vendor == "postgresql" else ""))
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_guard()")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {CODE_TABLE}_used_once" + (
        f" ON {CODE_TABLE}" if vendor == "postgresql" else ""))
    if vendor == "postgresql":
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {CODE_TABLE}_used_once()")


class Migration(migrations.Migration):
    dependencies = [("numbering", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
