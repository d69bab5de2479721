from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from audit import access
        from core import policy, viewsets

        if access.record_denied not in policy.on_denied:
            policy.on_denied.append(access.record_denied)
        if access.record_access not in viewsets.on_personal_read:
            viewsets.on_personal_read.append(access.record_access)
