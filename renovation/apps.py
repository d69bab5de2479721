from django.apps import AppConfig


class RenovationConfig(AppConfig):
    name = "renovation"
    verbose_name = "危房改造"

    def ready(self) -> None:
        from audit.labels import register_values, register_verbs
        from renovation.models import Mode
        from renovation.workflow import MACHINE, STATES

        register_verbs({f"renovation.{step.action}": step.label for step in MACHINE.steps})  # recorded by transition
        register_values("state", STATES, object_type="renovation.case")
        register_values("mode", dict(Mode.choices))
