from django.db import migrations, models

NUMBER_TABLES = ("numbering_stocknumber", "numbering_reservednumber", "numbering_dialinnumber",
                 "numbering_basenumber")


def _sqlite_guards(apps, schema_editor, create: bool) -> None:
    """SQLite rebuilds the base-number table for this change; its cross-table triggers (frozen
    copy of migration 0002's) are dropped around the rebuild and made again."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for table in NUMBER_TABLES:
        others = [t for t in NUMBER_TABLES if t != table]
        exists = " OR ".join(f"EXISTS (SELECT 1 FROM {o} WHERE number = NEW.number)" for o in others)
        for event in ("INSERT", "UPDATE"):
            name = f"{table}_guard_{event.lower()}"
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
            if create:
                schema_editor.execute(
                    f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW WHEN {exists} "
                    "BEGIN SELECT RAISE(ABORT, 'number already exists in another number table'); END;", params=None)


def drop_sqlite_guards(apps, schema_editor) -> None:
    _sqlite_guards(apps, schema_editor, create=False)


def make_sqlite_guards(apps, schema_editor) -> None:
    _sqlite_guards(apps, schema_editor, create=True)


def no_group_is_null(apps, schema_editor):
    # A "group" of one number (the old default) or none is no representative group: E8 does not apply.
    apps.get_model("numbering", "BaseNumber").objects.filter(representative_size__lte=1).update(
        representative_size=None)


class Migration(migrations.Migration):
    dependencies = [("numbering", "0003_issuance")]

    operations = [
        migrations.RunPython(drop_sqlite_guards, make_sqlite_guards),
        migrations.AlterField(
            model_name="basenumber",
            name="representative_size",
            field=models.PositiveIntegerField(
                blank=True, default=None, null=True, verbose_name="代表グループ番号数",
                help_text="この基本契約番号の代表グループ（代表）に属する番号の数。空欄は代表グループに属さない"
                          "（E8の対象外）。開通した番号はグループに加わります。"),
        ),
        migrations.RunPython(no_group_is_null, migrations.RunPython.noop),
        migrations.RunPython(make_sqlite_guards, drop_sqlite_guards),
    ]
