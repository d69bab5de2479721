from django.core.management.base import BaseCommand, CommandError

from audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exits non-zero at the first tampered event."

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"审计链校验失败：第 {report.first_bad_id} 号事件，{report.reason}（已校验 {report.checked} 条）")
        self.stdout.write(f"审计链完整：共 {report.checked} 条事件")
