"""One code per house (一户一码): the safety label and policy card, and the public page its QR code opens.

A label carries nothing personal beyond the head's surname: the village, the grade, the date of the
last check, the hotline, and the house's public code (unguessable, made with its safety record).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import segno
from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from codetables.selectors import hotline_for
from core.masking import mask_name
from core.pdf import html_to_pdf
from inspections.models import HouseSafety, Verdict
from regions.selectors import name_of

GRADE_TEXT = {"A": "安全", "B": "基本安全", "C": "局部危险", "D": "整体危险"}
VERDICT_TEXT: dict[str, str] = {Verdict.SAFE: "排查：基本安全", Verdict.SUSPECT: "排查：疑似不安全，待鉴定"}


@dataclass(frozen=True)
class Label:
    code: str
    url: str
    village: str
    masked_name: str
    grade: str
    grade_text: str
    checked_on: dt.date | None
    hotline: str

    @property
    def qr_svg(self) -> str:
        return segno.make(self.url, error="m").svg_inline(scale=4, border=2)


def public_url(code: str) -> str:
    """The address the QR code holds (settings.ANJU_PUBLIC_URL: how phones outside reach the server)."""
    return settings.ANJU_PUBLIC_URL.rstrip("/") + reverse("public_house", args=[code])


def village_name(region_code: str) -> str:
    return f"{name_of(region_code[:9])}{name_of(region_code)}"


def label_of(safety: HouseSafety) -> Label:
    grade = safety.grade
    text = GRADE_TEXT.get(grade, "") if grade else VERDICT_TEXT.get(safety.verdict, "未检查")
    return Label(
        code=safety.code, url=public_url(safety.code), village=village_name(safety.region_code),
        masked_name=mask_name(safety.household.head_name), grade=grade, grade_text=text, checked_on=safety.checked_on,
        hotline=hotline_for(safety.region_code),
    )  # fmt: skip


def labels(safeties: Iterable[HouseSafety]) -> Iterator[Label]:
    for s in safeties:
        yield label_of(s)


def for_village(qs: QuerySet[HouseSafety], village: str) -> QuerySet[HouseSafety]:
    return (
        qs.filter(region_code=village, checked_on__isnull=False)
        .select_related("household", "house")
        .order_by("house__group_name", "household__head_name", "pk")
    )


def write_pdf(path: Path, qs: QuerySet[HouseSafety], progress: Callable[[int], None] | None = None) -> int:
    """All labels of the queryset in one A5 PDF, one page per house; returns the page count."""
    made = []
    for n, label in enumerate(labels(qs.iterator(chunk_size=500)), 1):
        made.append(label)
        if progress and n % 100 == 0:
            progress(n)
    html = render_to_string("inspections/labels_pdf.html", {"labels": made})
    html_to_pdf(html, path, page_format="A5")
    if progress:
        progress(len(made))
    return len(made)
