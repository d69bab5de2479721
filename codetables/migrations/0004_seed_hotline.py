from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from codetables import seed

    seed.apply(apps.get_model("codetables", "CodeItem"))


class Migration(migrations.Migration):
    dependencies = [("codetables", "0003_hotline_table")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
