"""Organisations are the kernel's model now (portal.Organisation, same table): the foreign keys
point there in the state only (their columns and constraints stay). Request IDs are timestamped
by the one clock (no auto_now_add; no database change)."""

from django.db import migrations, models

import portal.clock


def organisation_fk(*, on_delete, related_name: str, **extra) -> models.ForeignKey:
    return models.ForeignKey(on_delete=on_delete, related_name=related_name, to="portal.organisation", **extra)


class Migration(migrations.Migration):
    dependencies = [("orders", "0010_mail_attempts"), ("portal", "0003_organisation")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(model_name="attachment", name="organisation", field=organisation_fk(
                    on_delete=models.deletion.CASCADE, related_name="attachments")),
                migrations.AlterField(model_name="draft", name="organisation", field=organisation_fk(
                    on_delete=models.deletion.CASCADE, related_name="drafts")),
                migrations.AlterField(model_name="order", name="organisation", field=organisation_fk(
                    on_delete=models.deletion.PROTECT, related_name="orders", verbose_name="お客様")),
                migrations.AlterField(model_name="sentmail", name="organisation", field=organisation_fk(
                    on_delete=models.deletion.CASCADE, related_name="mails")),
            ],
            database_operations=[],
        ),
        # Timestamps from the one clock (no auto_now_add). State only: the column has no database
        # default either way, and SQLite would rebuild the table for nothing.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField(model_name="requestidsequence", name="created_at",
                                                    field=models.DateTimeField(default=portal.clock.now, editable=False))],
            database_operations=[],
        ),
    ]
