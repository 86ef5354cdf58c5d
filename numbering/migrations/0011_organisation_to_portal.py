"""The voice group's organisation is the kernel's model now (portal.Organisation, same table).
State only: the foreign key keeps its column and constraint."""

from django.db import migrations, models

import portal.clock


class Migration(migrations.Migration):
    dependencies = [("numbering", "0010_dialin_number_unique_constraint"), ("portal", "0003_organisation")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="voicegroup",
                    name="organisation",
                    field=models.ForeignKey(on_delete=models.deletion.PROTECT, related_name="voice_groups",
                                            to="portal.organisation", verbose_name="お客様"),
                ),
            ],
            database_operations=[],
        ),
        # Timestamps from the one clock (no auto_now_add). State only: the column has no database
        # default either way, and SQLite would rebuild the table for nothing.
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField(model_name="reservationcode", name="created_at",
                                                    field=models.DateTimeField(default=portal.clock.now, editable=False, verbose_name="発行日時"))],
            database_operations=[],
        ),
    ]
