"""The dial-in → base number reference with one lock per contract instead of one per base number.

Key-share locking every named base number cost about 7 % of the floor when an order names 10,000
base numbers (bench/issuance.py, 10000x1). Now the guard takes a shared transaction advisory lock
per contract the base numbers belong to (sorted; usually one) and then checks that they all exist.
Deleting a base number takes that contract's lock exclusively before it looks for dial-in numbers.
Either the delete commits first (the guard, after waiting, finds the base number gone and refuses)
or the insert does (the delete, after waiting, finds the dial-in numbers and refuses).
PostgreSQL only (SQLite has one writer at a time). Frozen SQL.
"""

from django.db import migrations

DIALIN = "numbering_dialinnumber"

SQL = """
CREATE OR REPLACE FUNCTION numbering_dialinnumber_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE clash text; wanted bigint; found bigint;
BEGIN
  IF TG_OP = 'UPDATE' THEN  -- nested: old_rows exists only for an UPDATE
    IF NOT EXISTS (SELECT 1 FROM new_rows n LEFT JOIN old_rows o
                   ON o.id = n.id AND o.number = n.number AND o.base_number_id = n.base_number_id
                   WHERE o.id IS NULL) THEN
      RETURN NULL;  -- no number (or base number) changed: nothing to guard
    END IF;
  END IF;
  PERFORM pg_advisory_xact_lock(81, b.block)
    FROM (SELECT DISTINCT left(number, 7)::int AS block FROM new_rows ORDER BY 1) b;
  SELECT n.number INTO clash FROM new_rows n
   WHERE EXISTS (SELECT 1 FROM numbering_stocknumber x WHERE x.number = n.number)
      OR EXISTS (SELECT 1 FROM numbering_reservednumber x WHERE x.number = n.number)
      OR EXISTS (SELECT 1 FROM numbering_basenumber x WHERE x.number = n.number) LIMIT 1;
  IF clash IS NOT NULL THEN
    RAISE EXCEPTION 'number % already exists in another number table', clash
      USING ERRCODE = 'unique_violation';
  END IF;
  PERFORM pg_advisory_xact_lock_shared(82, c.contract_id::int)
    FROM (SELECT DISTINCT b.contract_id FROM numbering_basenumber b
          WHERE b.id IN (SELECT base_number_id FROM new_rows) ORDER BY 1) c;
  SELECT count(DISTINCT base_number_id) INTO wanted FROM new_rows;
  SELECT count(*) INTO found FROM numbering_basenumber WHERE id IN (SELECT base_number_id FROM new_rows);
  IF found <> wanted THEN
    RAISE EXCEPTION 'a dial-in number names a base number that does not exist'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION numbering_basenumber_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(82, OLD.contract_id::int);  -- waits for dial-ins being added meanwhile
  IF EXISTS (SELECT 1 FROM numbering_dialinnumber WHERE base_number_id = OLD.id) THEN
    RAISE EXCEPTION 'base number % has dial-in numbers', OLD.number USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;
"""


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("numbering", "0008_guards_skip_unchanged_numbers")]

    # Going back leaves these functions: they guard as much as the ones before.
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
