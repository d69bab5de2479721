from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from codetables.seed import SEED

    CodeItem = apps.get_model("codetables", "CodeItem")
    for order, (table, code, name, group, national) in enumerate(SEED):
        CodeItem.objects.update_or_create(
            table=table, code=code, defaults={"name": name, "group": group, "is_national": national, "sort_order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("codetables", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
