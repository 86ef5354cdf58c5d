from django.db import migrations, models


def no_group_is_null(apps, schema_editor):
    # A "group" of one number (the old default) or none is no representative group: E8 does not apply.
    apps.get_model("numbering", "BaseNumber").objects.filter(representative_size__lte=1).update(
        representative_size=None)


class Migration(migrations.Migration):
    dependencies = [("numbering", "0003_issuance")]

    operations = [
        migrations.AlterField(
            model_name="basenumber",
            name="representative_size",
            field=models.PositiveIntegerField(
                blank=True, default=None, null=True, verbose_name="代表グループ番号数",
                help_text="この基本契約番号の代表グループ（代表）に属する番号の数。空欄は代表グループに属さない"
                          "（E8の対象外）。開通した番号はグループに加わります。"),
        ),
        migrations.RunPython(no_group_is_null, migrations.RunPython.noop),
    ]
