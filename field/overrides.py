"""A town reviewer's recorded override: a construction stage may go on without a located photo, for a
reason written down (ADR 0026). The one write of `EvidenceOverride`; the page and the API call it."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap
from audit.services import record
from field.models import EvidenceOverride

TOWN_LEVEL = 9  # a town's region code has 9 digits
# The parts an override may stand in for, and the case states in which that stage is the next one.
OPEN_FOR = {"before": ("agreed",), "during": ("started",), "after": ("started", "structure_done")}


def record_override(*, actor: User, case_id: int, part: str, reason: str) -> EvidenceOverride:
    """Refused (in Chinese, nothing written) unless a town-level reviewer of the case's region gives a reason."""
    from renovation.models import Case
    from renovation.stage_evidence import PART_LABELS

    case = Case.objects.select_related("household").filter(pk=case_id).first()
    if case is None or not actor.covers(case.region_code):
        raise ValidationError(_("找不到该改造户，或不在您的管辖范围内。"))
    if not actor.can(Cap.CASE_REVIEW) or len(actor.region_id or "") != TOWN_LEVEL:
        raise PermissionDenied(_("照片证据例外须由乡镇审核人员登记。"))
    if part not in OPEN_FOR:
        raise ValidationError({"part": _("请选择施工节点（施工前、施工中、竣工后）。")})
    if case.state not in OPEN_FOR[part]:
        raise ValidationError({"part": _("该户当前不在需要%(s)s照片的施工节点。") % {"s": PART_LABELS[part]}})
    text = " ".join(str(reason or "").split())
    if len(text) < 5:
        raise ValidationError({"reason": _("请写明不能提供现场定位照片的理由（至少 5 个字）。")})
    if len(text) > 300:
        raise ValidationError({"reason": _("理由最多 300 个字。")})
    try:
        with transaction.atomic():
            override = EvidenceOverride.objects.create(
                record_uid=case.uid,
                part=part,
                household=case.household,
                region_code=case.region_code,
                reason=text,
                created_by=actor,
                created_by_name=actor.display_name,
            )
            record(
                "field.evidence_override",
                actor=actor,
                obj=override,
                region_code=case.region_code,
                object_label=f"{case.household.head_name}户",
                after={"case": case.pk, "part": part, "reason": text},
            )
    except IntegrityError:
        raise ValidationError(_("该户的%(s)s照片例外已登记过。") % {"s": PART_LABELS[part]}) from None
    return override
