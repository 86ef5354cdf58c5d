"""Guards that only look at what changed, and the dial-in → base number reference on SQLite too.

- PostgreSQL: an UPDATE that changes no number (nor, on dial-ins, the base number) — e.g. a
  representative group growing at activation — returns at once: it takes no block locks, so it
  cannot wait on, or deadlock with, an issuer. The UPDATE triggers now see the old rows as well.
- SQLite (embedded default): a dial-in must name an existing base number, and a base number with
  dial-in numbers cannot be deleted (the foreign key left the table in 0007).
Frozen SQL.
"""

from django.db import migrations

NUMBER_TABLES = ("numbering_stocknumber", "numbering_reservednumber", "numbering_dialinnumber",
                 "numbering_basenumber")
DIALIN = "numbering_dialinnumber"


def _pg_guard(table: str) -> str:
    others = [t for t in NUMBER_TABLES if t != table]
    exists = " OR ".join(f"EXISTS (SELECT 1 FROM {o} x WHERE x.number = n.number)" for o in others)
    same = "o.number = n.number" + (" AND o.base_number_id = n.base_number_id" if table == DIALIN else "")
    reference = """
  SELECT count(DISTINCT base_number_id) INTO wanted FROM new_rows;
  SELECT count(*) INTO locked FROM (
    SELECT id FROM numbering_basenumber WHERE id IN (SELECT base_number_id FROM new_rows)
    ORDER BY id FOR KEY SHARE) l;
  IF locked <> wanted THEN
    RAISE EXCEPTION 'a dial-in number names a base number that does not exist'
      USING ERRCODE = 'foreign_key_violation';
  END IF;""" if table == DIALIN else ""
    return f"""
CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE clash text; wanted bigint; locked bigint;
BEGIN
  IF TG_OP = 'UPDATE' THEN  -- nested: old_rows exists only for an UPDATE
    IF NOT EXISTS (SELECT 1 FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id AND {same} WHERE o.id IS NULL) THEN
      RETURN NULL;  -- no number (or base number) changed: nothing to guard
    END IF;
  END IF;
  PERFORM pg_advisory_xact_lock(81, b.block)
    FROM (SELECT DISTINCT left(number, 7)::int AS block FROM new_rows ORDER BY 1) b;
  SELECT n.number INTO clash FROM new_rows n WHERE {exists} LIMIT 1;
  IF clash IS NOT NULL THEN
    RAISE EXCEPTION 'number % already exists in another number table', clash
      USING ERRCODE = 'unique_violation';
  END IF;{reference}
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS {table}_guard_update ON {table};
CREATE TRIGGER {table}_guard_update AFTER UPDATE ON {table}
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {table}_guard();
"""


SQLITE_REFERENCE = [
    f"""CREATE TRIGGER IF NOT EXISTS {DIALIN}_base_exists_{event.lower()} BEFORE {event} ON {DIALIN}
FOR EACH ROW WHEN NOT EXISTS (SELECT 1 FROM numbering_basenumber WHERE id = NEW.base_number_id)
BEGIN SELECT RAISE(ABORT, 'a dial-in number names a base number that does not exist'); END;"""
    for event in ("INSERT", "UPDATE")
] + ["""CREATE TRIGGER IF NOT EXISTS numbering_basenumber_keep_referenced BEFORE DELETE ON numbering_basenumber
FOR EACH ROW WHEN EXISTS (SELECT 1 FROM numbering_dialinnumber WHERE base_number_id = OLD.id)
BEGIN SELECT RAISE(ABORT, 'base number has dial-in numbers'); END;"""]


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in NUMBER_TABLES:
            schema_editor.execute(_pg_guard(table), params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REFERENCE:
            schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        for name in (f"{DIALIN}_base_exists_insert", f"{DIALIN}_base_exists_update",
                     "numbering_basenumber_keep_referenced"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
    # PostgreSQL: the functions stay (they guard at least as much as before); going back is harmless.


class Migration(migrations.Migration):
    dependencies = [("numbering", "0007_dialin_reference_by_guard")]

    operations = [migrations.RunPython(install, uninstall)]
