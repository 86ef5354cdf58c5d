from django.db import migrations

from numbering import guards


class Migration(migrations.Migration):
    dependencies = [("numbering", "0001_initial")]

    operations = [migrations.RunPython(guards.install, guards.uninstall)]
