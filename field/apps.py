from django.apps import AppConfig


class FieldConfig(AppConfig):
    name = "field"
    verbose_name = "现场采集"

    def ready(self) -> None:
        from audit.labels import register_values
        from field.models import ConflictStatus, FlagStatus

        register_values("status", dict(FlagStatus.choices), object_type="field.evidenceflag")
        register_values("status", dict(ConflictStatus.choices), object_type="field.conflict")
