"""The lists that export to Excel, each: who may export it, what rows, how they are written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.labels import change_text, changes, object_type_label, one_language, source_label, verb_label
from audit.models import AuditEvent
from audit.selectors import search as search_audit
from audit.services import batch_items
from exchange import household_export
from exchange.xlsx_stream import write_rows_fast
from households import filters
from households.models import Household
from households.privacy import MASKED, WHOLE
from households.writer import BATCH_CREATE


@dataclass(frozen=True)
class ExportKind:
    model: str  # what is exported: the user needs the policy's "export" action on it (accounts/policy.py)
    title: str
    verb: str
    queryset: Callable[[Any, dict[str, Any]], QuerySet[Any]]
    write: Callable[[Path, QuerySet[Any], bool, Callable[[int], None]], int]
    filename: str
    suffix: str = ".xlsx"
    # for a kind whose file depends on who asks (the county's ledger shape): written with the user,
    # and refused up front, in Chinese, when it cannot be made for them
    write_for: Callable[[Any, Path, QuerySet[Any], bool, Callable[[int], None]], int] | None = None
    refusal: Callable[[Any], str] | None = None

    def run(self, user: Any, path: Path, qs: QuerySet[Any], unmasked: bool, progress: Callable[[int], None]) -> int:
        if self.write_for is not None:
            return self.write_for(user, path, qs, unmasked, progress)
        return self.write(path, qs, unmasked, progress)

    def check(self, user: Any) -> None:
        """Raises ValidationError (Chinese) when this export cannot be made for the user."""
        problem = self.refusal(user) if self.refusal is not None else ""
        if problem:
            raise ValidationError(problem)


def _households(user: Any, params: dict[str, Any]) -> QuerySet[Household]:
    return filters.apply(Household.objects.restrict(user, "export"), params, scope=user.region_id or "")


def _write_households(path: Path, qs: QuerySet[Household], unmasked: bool, progress: Callable[[int], None]) -> int:
    return household_export.export(path, qs, unmasked=unmasked, title="农户档案", on_progress=progress)


LEDGER_TITLE = gettext_lazy("农户档案（按本县台账格式）")


def _no_ledger_shape(user: Any) -> str:
    from exchange.mappings import saved_for

    if saved_for(user) is None:
        return _("本县还没有保存台账的列对应：请先导入一次本县的台账并确认列对应，再按本县台账格式导出。")
    return ""


def _write_ledger(user: Any, path: Path, qs: QuerySet[Household], unmasked: bool, progress: Callable[[int], None]) -> int:
    from exchange.mappings import saved_for

    mapping = saved_for(user)
    if mapping is None:  # removed since the export was asked for
        raise ValueError(_no_ledger_shape(user))
    return household_export.export_ledger(path, qs, mapping, unmasked=unmasked, title=str(LEDGER_TITLE), on_progress=progress)


def _unused_write(path: Path, qs: QuerySet[Any], unmasked: bool, progress: Callable[[int], None]) -> int:
    raise TypeError("this kind is written with its user (ExportKind.run)")


CELL_CHARS = 32_000  # Excel keeps at most 32,767 characters in a cell
SHEET_LINES = 1_048_576 - 3  # Excel's rows per sheet, less the title, the header and a closing note
AUDIT_HEADER = [
    "编号",
    "时间",
    "操作人",
    "来源IP",
    "途径",
    "操作",
    "对象类型",
    "对象ID",
    "对象",
    "区划代码",
    "结果",
    "修改前",
    "修改后",
]


AUDIT_CHUNK = 2000  # events per query of the export's keyset walk
AUDIT_COLUMNS = ("id", "at", "actor_name", "ip", "source", "verb", "object_type", "object_id", "object_label",
                 "region_code", "success", "before", "after")  # fmt: skip


def _keyset(qs: QuerySet[AuditEvent], chunk: int = AUDIT_CHUNK) -> Iterator[dict[str, Any]]:
    """The events of `qs` as dicts of AUDIT_COLUMNS, newest first, a chunk per query after the last
    id seen: memory stays at one chunk however many events there are, and no cursor or transaction
    stays open between chunks (docs/adr/0028-audit-log-for-auditors.md)."""
    rows = qs.order_by("-id").values(*AUDIT_COLUMNS)
    last: int | None = None
    while True:
        page = list(rows.filter(pk__lt=last)[:chunk] if last is not None else rows[:chunk])
        yield from page
        if len(page) < chunk:
            return
        last = page[-1]["id"]


def _audit_rows(qs: QuerySet[AuditEvent], read: list[int] | None = None) -> Iterator[list[Any]]:
    """One line per event, its object type by name and its changes as readable text (audit.labels);
    a batch creation event gives one line per household it created, so each line names one object
    and its cells stay under Excel's 32,767 characters. `read[0]` counts the events read so far:
    the job's progress is measured in events, as its total is."""
    tz = timezone.get_current_timezone()

    def line(e: dict[str, Any], object_id: str, label: str, region: str, before: Any, after: Any) -> list[Any]:
        rows = changes(e["object_type"], before, after)
        return [
            e["id"], e["at"].astimezone(tz).isoformat(" ", "seconds")[:19], e["actor_name"] or "系统", e["ip"],
            source_label(e["source"]), verb_label(e["verb"]), object_type_label(e["object_type"]), object_id, label,
            region, "成功" if e["success"] else "失败", change_text(rows, "before")[:CELL_CHARS],
            change_text(rows, "after")[:CELL_CHARS],
        ]  # fmt: skip

    def lines() -> Iterator[list[Any]]:
        for e in _keyset(qs):
            if read is not None:
                read[0] += 1
            listed = batch_items(e["after"]) if e["verb"] == BATCH_CREATE else None
            if listed is not None:
                for h in listed:
                    yield line(e, str(h["id"]), f"{h['head_name']}户", h["village"], None, h)
            else:
                yield line(e, e["object_id"], e["object_label"], e["region_code"], e["before"], e["after"])

    with one_language():
        for n, row in enumerate(lines(), start=1):
            if n > SHEET_LINES:  # said in the sheet, never cut off silently
                yield ["", "", "", "", "", f"已达 Excel 单表 {SHEET_LINES:,} 行上限，其后的记录未导出：请缩小日期范围分次导出"]
                return
            yield row


def _write_audit(path: Path, qs: QuerySet[AuditEvent], unmasked: bool, progress: Callable[[int], None]) -> int:
    """Returns the lines written; reports progress in events (lines outnumber events where a batch
    event lists its households, which once showed the job at 136 %)."""
    read = [0]
    return write_rows_fast(path, title="审计日志", header=AUDIT_HEADER, rows=_audit_rows(qs, read), text_columns=[7, 9],
                           widths=[10, 20, 14, 15, 8, 16, 22, 10, 24, 14, 6, 50, 50],
                           on_progress=lambda _lines: progress(read[0]))  # fmt: skip


TRAINING_HEADER = ["姓名/单位", "类别", "工作单位", "资质/证书编号", "所属区划", "身份证号", "培训班", "培训类别", "证书编号",
                   "发证日期", "有效期至", "考核合格"]  # fmt: skip


def _training(user: Any, params: dict[str, Any]) -> QuerySet[Any]:
    from training.selectors import ledger

    return ledger(user, params)


def _training_rows(qs: QuerySet[Any], unmasked: bool, read: list[int] | None = None) -> Iterator[list[Any]]:
    from regions.selectors import name_of, short_code
    from training.models import TrainingRecord

    records_first = Prefetch("records", queryset=TrainingRecord.objects.select_related("course").order_by("-issued_on"))
    for t in qs.prefetch_related(records_first).iterator(chunk_size=2000):  # one query per chunk, not per person
        if read is not None:
            read[0] += 1  # progress in people, as the job's total counts them (a line per record)
        ident = (WHOLE if unmasked else MASKED).id_number(t.id_number)
        person = [t.name, t.get_kind_display(), t.organisation, t.licence_no, name_of(short_code(t.region_code)), ident]
        records = t.records.all()
        rows = [[r.course.title, r.course.get_kind_display(), r.certificate_no, r.issued_on, r.valid_until,
                 "是" if r.passed else "否"] for r in records]  # fmt: skip
        for row in rows or [[""] * 6]:
            yield person + row


def _write_training(path: Path, qs: QuerySet[Any], unmasked: bool, progress: Callable[[int], None]) -> int:
    read = [0]
    rows = _training_rows(qs, unmasked, read)
    return write_rows_fast(path, title="培训台账", header=TRAINING_HEADER, rows=rows, text_columns=[3, 5, 8],
                           widths=[16, 10, 20, 18, 14, 20, 28, 14, 16, 12, 12, 8],
                           on_progress=lambda _lines: progress(read[0]))  # fmt: skip


def _labels(user: Any, params: dict[str, Any]) -> QuerySet[Any]:
    from inspections.labels import for_village
    from inspections.models import HouseSafety

    return for_village(HouseSafety.objects.restrict(user, "export"), str(params.get("village", "")))


def _write_labels(path: Path, qs: QuerySet[Any], unmasked: bool, progress: Callable[[int], None]) -> int:
    from inspections.labels import write_pdf

    return write_pdf(path, qs, progress)


CASE_HEADER = ["县", "乡镇", "村", "户主", "身份证号", "年度", "危房等级", "改造方式", "建设方式", "状态", "完成期限", "开工日期",
               "竣工日期", "验收日期", "补助金额（元）", "拨付日期"]  # fmt: skip


def _cases(user: Any, params: dict[str, Any]) -> QuerySet[Any]:
    from django.utils import timezone

    from renovation.models import Case
    from renovation.selectors import filter_cases

    return filter_cases(Case.objects.restrict(user, "export").select_related("household"), params, timezone.localdate())


def _case_rows(qs: QuerySet[Any], unmasked: bool) -> Iterator[list[Any]]:
    from regions.selectors import name_of
    from renovation.workflow import MACHINE

    for c in qs.iterator(chunk_size=2000):
        ident = (WHOLE if unmasked else MASKED).id_number(c.household.head_id)
        places = [name_of(c.region_code[:6]), name_of(c.region_code[:9]), name_of(c.region_code)]
        dates = [c.deadline, c.started_on, c.completed_on, c.accepted_on]
        yield [*places, c.household.head_name, ident, c.year, c.grade, c.get_mode_display(), c.get_build_method_display(),
               MACHINE.label(c.state), *dates, c.subsidy, c.paid_on]  # fmt: skip


def _write_cases(path: Path, qs: QuerySet[Any], unmasked: bool, progress: Callable[[int], None]) -> int:
    widths = [10, 12, 16, 10, 20, 6, 8, 14, 8, 14, 12, 12, 12, 12, 14, 12]
    return write_rows_fast(path, title="危房改造户", header=CASE_HEADER, rows=_case_rows(qs, unmasked), text_columns=[4],
                           widths=widths, on_progress=progress)  # fmt: skip


KINDS: dict[str, ExportKind] = {
    "households": ExportKind("households.Household", "农户档案", "export.households", _households, _write_households, "农户档案"),
    "ledger": ExportKind(
        "households.Household",
        "按本县台账格式导出",
        "export.ledger",
        _households,
        _unused_write,
        "本县台账",
        write_for=_write_ledger,
        refusal=_no_ledger_shape,
    ),
    "audit": ExportKind("audit.AuditEvent", "审计日志", "export.audit", search_audit, _write_audit, "审计日志"),
    "training": ExportKind("training.Trainee", "培训台账", "export.training", _training, _write_training, "培训台账"),
    "cases": ExportKind("renovation.Case", "危房改造户", "export.cases", _cases, _write_cases, "危房改造户"),
    "labels": ExportKind(
        "inspections.HouseSafety", "房屋安全标识", "export.labels", _labels, _write_labels, "房屋安全标识", ".pdf"
    ),
}

CONTENT_TYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".pdf": "application/pdf"}
