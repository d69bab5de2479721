"""Database-level guard against updating or deleting audit rows (see audit/guards.py)."""

from django.db import migrations

from audit.guards import install, remove


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
