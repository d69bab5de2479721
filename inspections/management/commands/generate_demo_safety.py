import sys
import time

from django.core.management.base import BaseCommand

from core.context import ActionContext, acting
from inspections.demo import generate


class Command(BaseCommand):
    help = "Demo inspections for a county: trained people, a campaign, inspections and appraisals (skipped if it has a campaign)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--county", default="610826")
        parser.add_argument("--share", type=float, default=0.15, help="share of households inspected")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        start = time.monotonic()

        def progress(done: int) -> None:
            sys.stderr.write(f"\r  已排查 {done:,} 户")
            sys.stderr.flush()

        with acting(ActionContext(source="command")):
            made = generate(county=opts["county"], share=opts["share"], seed=opts["seed"], progress=progress)
        sys.stderr.write("\n")
        if not made["inspections"]:
            self.stdout.write(f"区划 {opts['county']} 已有排查工作，跳过生成")
            return
        took = time.monotonic() - start
        self.stdout.write(f"已生成排查记录 {made['inspections']:,} 条、鉴定记录 {made['appraisals']:,} 条，用时 {took:.1f} 秒")
