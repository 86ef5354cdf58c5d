"""Organisations belong to the kernel (portal), not to numbering: the model moves here. The table
keeps its name (numbering_organisation), so nothing changes in the database."""

from django.db import migrations, models

import portal.clock


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_demo_clock"), ("numbering", "0010_dialin_number_unique_constraint")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Organisation",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("code", models.CharField(max_length=20, unique=True, verbose_name="お客様番号")),
                        ("name", models.CharField(max_length=200, verbose_name="お客様名")),
                        ("created_at", models.DateTimeField(default=portal.clock.now, editable=False, verbose_name="登録日時")),
                    ],
                    options={
                        "verbose_name": "お客様（契約者）",
                        "verbose_name_plural": "お客様（契約者）",
                        "ordering": ["code"],
                        "db_table": "numbering_organisation",
                    },
                ),
                migrations.AlterField(
                    model_name="user",
                    name="organisation",
                    field=models.ForeignKey(blank=True, null=True, on_delete=models.deletion.PROTECT,
                                            related_name="users", to="portal.organisation", verbose_name="お客様"),
                ),
            ],
            database_operations=[],
        ),
    ]
