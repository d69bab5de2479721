from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from codetables.seed import apply

    apply(apps.get_model("codetables", "CodeItem"))


class Migration(migrations.Migration):
    dependencies = [("codetables", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
