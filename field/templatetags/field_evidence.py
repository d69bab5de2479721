"""How a photo's evidence class is shown wherever a photo appears (ADR 0026), and the case page's overrides."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from field.models import EvidenceClass, EvidenceOverride

register = template.Library()

BADGE_CLASS = {EvidenceClass.FIELD: "bg-success", EvidenceClass.EXIF: "bg-warning text-dark", EvidenceClass.NONE: "bg-danger"}


@register.filter
def evidence_badge(photo: Any) -> SafeString:
    """A badge saying what stands behind the photo: 现场定位, 仅EXIF or 无定位."""
    kind = EvidenceClass(getattr(photo, "evidence", "") or EvidenceClass.NONE)
    css = BADGE_CLASS[kind]
    return format_html('<span class="badge evidence-badge evidence-{} {}">{}</span>', kind.value, css, kind.label)


@register.simple_tag
def evidence_overrides(case: Any) -> list[EvidenceOverride]:
    """The town's recorded overrides of a case's photo rule, oldest first."""
    return list(EvidenceOverride.objects.filter(record_uid=case.uid).order_by("created_at", "id"))
