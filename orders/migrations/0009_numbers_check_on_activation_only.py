"""The "no 工事了 without its numbers" check runs when an order becomes 工事了 (or is inserted as
工事了/竣工), not again on 工事了 → 竣工: a number changed later in admin must not keep an order from
its 竣工 for ever (and B1 blocking its N番 meanwhile). Frozen SQL (PostgreSQL)."""

from django.db import migrations

SQL = """
DROP TRIGGER IF EXISTS orders_order_numbers_issued ON orders_order;
CREATE CONSTRAINT TRIGGER orders_order_numbers_issued_insert AFTER INSERT ON orders_order
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status IN ('activated', 'completed')) EXECUTE FUNCTION orders_order_numbers_issued();
CREATE CONSTRAINT TRIGGER orders_order_numbers_issued_update AFTER UPDATE OF status ON orders_order
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status = 'activated' AND OLD.status IS DISTINCT FROM 'activated')
  EXECUTE FUNCTION orders_order_numbers_issued();
"""

UNDO = """
DROP TRIGGER IF EXISTS orders_order_numbers_issued_insert ON orders_order;
DROP TRIGGER IF EXISTS orders_order_numbers_issued_update ON orders_order;
CREATE CONSTRAINT TRIGGER orders_order_numbers_issued AFTER INSERT OR UPDATE OF status ON orders_order
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status IN ('activated', 'completed')) EXECUTE FUNCTION orders_order_numbers_issued();
"""


def install(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL, params=None)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNDO, params=None)


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_mail_lease")]

    operations = [migrations.RunPython(install, uninstall)]
