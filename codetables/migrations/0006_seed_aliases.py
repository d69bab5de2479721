from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from codetables import seed

    seed.apply_aliases(apps.get_model("codetables", "CodeAlias"))


class Migration(migrations.Migration):
    dependencies = [("codetables", "0005_codealias")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
