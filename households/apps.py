from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "农户档案"

    def ready(self) -> None:
        from functools import partial

        from audit.labels import register_values
        from codetables.models import Table
        from codetables.selectors import names

        for field, table in (
            ("categories", Table.HOUSEHOLD_CATEGORY),
            ("structure_type", Table.STRUCTURE_TYPE),
            ("relation", Table.RELATION),
            ("roof_form", Table.ROOF_FORM),
        ):
            register_values(field, partial(names, table))
        register_values("code", partial(names, Table.HOUSEHOLD_CATEGORY), object_type="households.householdcategory")
