from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = "排查与鉴定"

    def ready(self) -> None:
        from audit.labels import register_values
        from inspections.models import Measure, Verdict

        register_values("verdict", dict(Verdict.choices))
        register_values("measure", dict(Measure.choices))
