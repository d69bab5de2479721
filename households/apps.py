from typing import Any

from django.apps import AppConfig


class HouseholdsConfig(AppConfig):
    name = "households"
    verbose_name = "农户档案"

    def ready(self) -> None:
        from audit.labels import register_values
        from codetables.models import Table
        from codetables.selectors import names
        from regions.selectors import name_of, short_code

        def from_table(table: Table) -> Any:
            return lambda code: names(table).get(code)

        for field, table in (
            ("categories", Table.HOUSEHOLD_CATEGORY),
            ("structure_type", Table.STRUCTURE_TYPE),
            ("relation", Table.RELATION),
            ("roof_form", Table.ROOF_FORM),
            ("use", Table.HOUSE_USE),
        ):
            register_values(field, from_table(table))
        register_values("code", from_table(Table.HOUSEHOLD_CATEGORY), object_type="households.householdcategory")
        register_values("village", lambda code: name_of(short_code(code)))
