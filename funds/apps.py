from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = "补助资金"

    def ready(self) -> None:
        from audit.labels import register_values
        from funds.models import BatchStatus, Stage

        register_values("stage", dict(Stage.choices))
        register_values("status", dict(BatchStatus.choices), object_type="funds.disbursementbatch")
