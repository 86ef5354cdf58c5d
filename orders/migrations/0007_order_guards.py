"""Database guards for orders (PostgreSQL); the SQL is frozen here, a migration never imports live code.

- The status table, enforced in the database too: an UPDATE of the status may only make a move the
  table allows (キャンセル → 竣工 is refused even by hand-written SQL).
- No order is 工事了 or 竣工 with fewer numbers than it ordered: checked at commit (deferred), the
  dial-in numbers issued under its request ID against its items' quantities.
- Tenant columns agree with their parents: an order's organisation is its contract's, an item's base
  number belongs to its order's contract, a mail's organisation is its order's.
"""

from django.db import migrations

TRANSITIONS = {
    "accepted": ("in_construction", "cancelled", "error"),
    "in_construction": ("activated", "error"),
    "activated": ("completed", "error"),
    "error": ("accepted", "cancelled"),
    "completed": (),
    "cancelled": (),
}

ALLOWED = ", ".join(f"('{a}', '{b}')" for a, tos in TRANSITIONS.items() for b in tos)

SQL = f"""
CREATE OR REPLACE FUNCTION orders_order_status_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD.status, NEW.status) NOT IN ({ALLOWED}) THEN
    RAISE EXCEPTION 'order %: % -> % is not in the status table', OLD.request_id, OLD.status, NEW.status
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER orders_order_status_table BEFORE UPDATE OF status ON orders_order
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION orders_order_status_table();

CREATE OR REPLACE FUNCTION orders_order_numbers_issued() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ordered bigint; issued bigint; current_status text;
BEGIN
  SELECT status INTO current_status FROM orders_order WHERE id = NEW.id;  -- at commit: the final status
  IF current_status IS NULL OR current_status NOT IN ('activated', 'completed') THEN
    RETURN NULL;
  END IF;
  SELECT coalesce(sum(quantity), 0) INTO ordered FROM orders_orderitem WHERE order_id = NEW.id;
  IF ordered = 0 THEN
    RETURN NULL;
  END IF;
  SELECT count(*) INTO issued FROM numbering_dialinnumber WHERE source = NEW.request_id;
  IF issued < ordered THEN
    RAISE EXCEPTION 'order % is % with % of % numbers issued', NEW.request_id, current_status, issued, ordered
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER orders_order_numbers_issued AFTER INSERT OR UPDATE OF status ON orders_order
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status IN ('activated', 'completed')) EXECUTE FUNCTION orders_order_numbers_issued();

CREATE OR REPLACE FUNCTION orders_order_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM numbering_voicecontract c JOIN numbering_voicegroup g ON g.id = c.voice_group_id
                 WHERE c.id = NEW.contract_id AND g.organisation_id = NEW.organisation_id) THEN
    RAISE EXCEPTION 'order %: the organisation is not the contract''s', NEW.request_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER orders_order_tenant BEFORE INSERT OR UPDATE OF organisation_id, contract_id ON orders_order
  FOR EACH ROW EXECUTE FUNCTION orders_order_tenant();

CREATE OR REPLACE FUNCTION orders_orderitem_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_rows i JOIN orders_order o ON o.id = i.order_id
             JOIN numbering_basenumber b ON b.id = i.base_number_id WHERE b.contract_id <> o.contract_id) THEN
    RAISE EXCEPTION 'an order item''s base number is not on its order''s contract' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER orders_orderitem_tenant_insert AFTER INSERT ON orders_orderitem
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION orders_orderitem_tenant();
CREATE TRIGGER orders_orderitem_tenant_update AFTER UPDATE ON orders_orderitem
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION orders_orderitem_tenant();

CREATE OR REPLACE FUNCTION orders_sentmail_tenant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM orders_order o WHERE o.id = NEW.order_id AND o.organisation_id = NEW.organisation_id) THEN
    RAISE EXCEPTION 'mail %: the organisation is not the order''s', NEW.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER orders_sentmail_tenant BEFORE INSERT OR UPDATE OF organisation_id, order_id ON orders_sentmail
  FOR EACH ROW EXECUTE FUNCTION orders_sentmail_tenant();
"""

DROP = """
DROP TRIGGER IF EXISTS orders_order_status_table ON orders_order;
DROP FUNCTION IF EXISTS orders_order_status_table();
DROP TRIGGER IF EXISTS orders_order_numbers_issued ON orders_order;
DROP FUNCTION IF EXISTS orders_order_numbers_issued();
DROP TRIGGER IF EXISTS orders_order_tenant ON orders_order;
DROP FUNCTION IF EXISTS orders_order_tenant();
DROP TRIGGER IF EXISTS orders_orderitem_tenant_insert ON orders_orderitem;
DROP TRIGGER IF EXISTS orders_orderitem_tenant_update ON orders_orderitem;
DROP FUNCTION IF EXISTS orders_orderitem_tenant();
DROP TRIGGER IF EXISTS orders_sentmail_tenant ON orders_sentmail;
DROP FUNCTION IF EXISTS orders_sentmail_tenant();
"""


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_attachments"), ("numbering", "0006_code_held_has_holder")]

    operations = [migrations.RunPython(install, uninstall)]
