from django.apps import AppConfig


class RenovationConfig(AppConfig):
    name = "renovation"
    verbose_name = "危房改造"

    def ready(self) -> None:
        from audit.labels import register_values
        from renovation.models import Mode
        from renovation.workflow import STATES

        register_values("state", STATES, object_type="renovation.case")
        register_values("mode", dict(Mode.choices))
