from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = "补助资金"

    def ready(self) -> None:
        from audit.labels import register_values, register_verbs
        from funds.models import Stage
        from funds.workflow import BATCH, EXCEPTION

        register_verbs({f"funds.exception_{step.action}": step.label for step in EXCEPTION.steps})  # standards.decide
        register_values("stage", dict(Stage.choices))
        register_values("status", dict(BATCH.choices), object_type="funds.disbursementbatch")
        register_values("state", dict(EXCEPTION.choices), object_type="funds.subsidyexception")
