"""The lists that export to Excel, each: who may export it, what rows, how they are written."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from accounts.roles import Cap
from audit.labels import SOURCES, VERBS
from audit.models import AuditEvent
from audit.selectors import search as search_audit
from exchange import household_export
from exchange.xlsx_stream import write_rows_fast
from households import filters
from households.models import Household


@dataclass(frozen=True)
class ExportKind:
    cap: Cap
    title: str
    verb: str
    queryset: Callable[[Any, dict[str, Any]], QuerySet[Any]]
    write: Callable[[Path, QuerySet[Any], bool, Callable[[int], None]], int]
    filename: str


def _households(user: Any, params: dict[str, Any]) -> QuerySet[Household]:
    return filters.apply(Household.objects.visible_to(user), params, scope=user.region_id or "")


def _write_households(path: Path, qs: QuerySet[Household], unmasked: bool, progress: Callable[[int], None]) -> int:
    return household_export.export(path, qs, unmasked=unmasked, title="农户档案", on_progress=progress)


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


def _audit_rows(qs: QuerySet[AuditEvent]) -> Iterator[list[Any]]:
    for e in qs.iterator(chunk_size=5000):
        yield [
            e.pk, timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.actor_name, e.ip,
            str(SOURCES.get(e.source, e.source)),
            str(VERBS.get(e.verb, e.verb)), e.object_type, e.object_id, e.object_label, e.region_code,
            "成功" if e.success else "失败",
            json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
            json.dumps(e.after, ensure_ascii=False) if e.after is not None else "",
        ]  # fmt: skip


def _write_audit(path: Path, qs: QuerySet[AuditEvent], unmasked: bool, progress: Callable[[int], None]) -> int:
    return write_rows_fast(path, title="审计日志", header=AUDIT_HEADER, rows=_audit_rows(qs), text_columns=[7, 9],
                           widths=[10, 20, 14, 15, 8, 16, 22, 10, 24, 14, 6, 50, 50], on_progress=progress)  # fmt: skip


KINDS: dict[str, ExportKind] = {
    "households": ExportKind(Cap.EXPORT, "农户档案", "export.households", _households, _write_households, "农户档案"),
    "audit": ExportKind(Cap.VIEW_AUDIT, "审计日志", "export.audit", search_audit, _write_audit, "审计日志"),
}
