"""manage.py rotate_field_key: seal every personal number again under the current key (docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.services import record
from core.crypto import keyring, reset_keys
from core.rotation import Tally, rotate, sealed_models


class Command(BaseCommand):
    help = (
        "把身份证号、电话、银行账号等加密字段按当前密钥（ANJU_FIELD_KEY_ID）重新加密，并绑定到所在行；"
        "分批进行，可中断后重跑续做。--check 只校验不写入。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=1000, help="每批读取的行数（默认 1000）")
        parser.add_argument("--model", action="append", default=[], help="只处理这些表，如 households.Household（可重复）")
        parser.add_argument("--after", type=int, default=0, help="从主键大于此值的行开始（配合 --model 续做）")
        parser.add_argument("--check", action="store_true", help="只校验每个密文能否解密、还有多少未轮换，不写入")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch"] < 1:
            raise CommandError("--batch 必须是正整数")
        reset_keys()
        ring = keyring()
        chosen = {m.lower() for m in options["model"]}
        targets = [(m, f) for m, f in sealed_models() if not chosen or m._meta.label_lower in chosen]
        if chosen and len(targets) != len(chosen):
            known = "、".join(m._meta.label for m, _ in sealed_models())
            raise CommandError(f"--model 只能是：{known}")
        check = options["check"]
        self.stdout.write(f"当前密钥编号 {ring.current}；{'只校验' if check else '重新加密'}：{len(targets)} 张表")
        totals = Tally()
        for model, fields in targets:
            label = model._meta.label

            def progress(t: Tally, last: int, label: str = label) -> None:
                self.stdout.write(f"  {label}：已处理 {t.rows} 行（至主键 {last}），重新加密 {t.rewritten} 个值")

            tally = rotate(model, fields, batch=options["batch"], after=options["after"], check=check, on_batch=progress)
            self.stdout.write(
                f"{label}：{tally.rows} 行；重新加密 {tally.rewritten}，已是当前密钥 {tally.current}，"
                f"期间被他人改写 {tally.changed_meanwhile}，无法解密 {len(tally.unreadable)}"
                + (f"，待轮换 {tally.stale}" if check else "")
            )
            for table, name, pk in tally.unreadable[:100]:
                self.stdout.write(f"  无法解密：{table}.{name} 主键 {pk}")
            for attr in ("rows", "rewritten", "current", "changed_meanwhile", "stale"):
                setattr(totals, attr, getattr(totals, attr) + getattr(tally, attr))
            totals.unreadable += tally.unreadable
        summary = {
            "key_id": ring.current,
            "check": check,
            "rows": totals.rows,
            "rewritten": totals.rewritten,
            "current": totals.current,
            "changed_meanwhile": totals.changed_meanwhile,
            "unreadable": len(totals.unreadable),
            "stale": totals.stale,
        }
        if not check:
            record("crypto.rotate_field_key", object_type="core.crypto", object_label=f"密钥 {ring.current}", after=summary)
        if totals.changed_meanwhile and not check:
            self.stdout.write("有值在轮换期间被改写：请再运行一次，直到“期间被他人改写 0”。")
        if totals.unreadable:
            raise CommandError(f"{len(totals.unreadable)} 个密文无法解密（见上），已原样保留；请核实并重新录入这些号码")
        if check and totals.stale:
            raise CommandError(f"还有 {totals.stale} 个值未按当前密钥加密：请运行 manage.py rotate_field_key")
        self.stdout.write(self.style.SUCCESS("完成"))
