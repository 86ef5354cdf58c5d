"""The organisation model has moved to portal (0011): it leaves numbering's state. State only —
the table is portal.Organisation's now and must stay."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("numbering", "0011_organisation_to_portal"), ("orders", "0011_organisation_to_portal")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Organisation")],
                                            database_operations=[]),
    ]
