"""Every write of campaigns, inspections and appraisals (web, API, field sync and commands alike).

Records made with a client UUID are stored once: sending the same `uid` again returns the stored
record and changes nothing (the field app's outbox may resend after a cut connection).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from accounts.roles import Cap
from audit.services import record
from core import policy
from core.scoping import code_range
from households.models import House, Household
from inspections import campaign_workflow, grading, quantitative
from inspections.campaign_workflow import MACHINE as CAMPAIGN
from inspections.models import (
    RISK_PARTS,
    Appraisal,
    AppraisalKind,
    AppraisalTask,
    AppraisalTaskStatus,
    Campaign,
    HouseSafety,
    Inspection,
    InspectionTask,
    Measure,
    Prevention,
    TaskStatus,
    Verdict,
)
from training.models import Trainee
from training.services import require_trained


def start_campaign(*, actor: User | None, name: str, kind: str, scope: str, start_date: dt.date, deadline: dt.date) -> Campaign:
    """Open a campaign over a county or town: one task per household in scope, made in one statement."""
    require(actor, Cap.MANAGE_CAMPAIGNS, scope.ljust(12, "0"))
    if len(scope) not in (6, 9, 12) or not scope.isdigit():
        raise ValidationError(_("排查范围应为县、乡镇或村的区划代码。"))
    if deadline < start_date:
        raise ValidationError(_("截止日期不能早于开始日期。"))
    if not name.strip():
        raise ValidationError(_("请填写排查名称。"))
    low, high = code_range(scope)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name.strip(), kind=kind, scope=scope, region_code=scope.ljust(12, "0"),
            start_date=start_date, deadline=deadline, created_by=actor,
        )  # fmt: skip
        with connection.cursor() as cur:
            cur.execute(
                f"INSERT INTO {InspectionTask._meta.db_table} (campaign_id, household_id, region_code, status) "
                f"SELECT %s, id, region_code, %s FROM {Household._meta.db_table} WHERE region_code BETWEEN %s AND %s",
                [campaign.pk, TaskStatus.PENDING, low, high],
            )
            campaign.task_count = cur.rowcount
        campaign.save(update_fields=["task_count"])
        record(
            "inspection.campaign_start",
            actor=actor,
            obj=campaign,
            region_code=campaign.region_code,
            after={"name": campaign.name, "scope": scope, "start_date": start_date, "deadline": deadline,
                   "tasks": campaign.task_count},
        )  # fmt: skip
    return campaign


def close_campaign(*, actor: User | None, campaign: Campaign, note: str = "") -> Campaign:
    """Close an open campaign (county level, the campaign capability): the campaign keeps the households
    of its regions as they are now. Its tasks become that snapshot in the same transaction: a task for
    every household in its regions that has none, none for a household that has left them, each in the
    unit the household is in now. Refused with the reasons in Chinese; nothing changes then."""
    note = note.strip()
    if len(note) > 200:
        raise ValidationError({"note": _("结束说明不能超过 200 字。")})
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)  # inspections of it wait (_campaign_of)
        reasons = campaign_workflow.refusals(locked, "close", actor, today=timezone.localdate(), note=note)
        if reasons:
            raise ValidationError(reasons)
        low, high = code_range(locked.scope)
        tasks = InspectionTask.objects.filter(campaign=locked)
        left = tasks.exclude(household__region_code__range=(low, high)).delete()[0]
        table, households = InspectionTask._meta.db_table, Household._meta.db_table
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {table} SET region_code = (SELECT h.region_code FROM {households} h WHERE h.id = household_id) "
                f"WHERE campaign_id = %s AND region_code <> (SELECT h.region_code FROM {households} h WHERE h.id = household_id)",
                [locked.pk],
            )
            cur.execute(
                f"INSERT INTO {table} (campaign_id, household_id, region_code, status) "
                f"SELECT %s, h.id, h.region_code, %s FROM {households} h WHERE h.region_code BETWEEN %s AND %s "
                f"AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.campaign_id = %s AND t.household_id = h.id)",
                [locked.pk, TaskStatus.PENDING, low, high, locked.pk],
            )
            added = cur.rowcount
        count = tasks.count()
        before = {"state": locked.state, "tasks": locked.task_count}
        CAMPAIGN.move_one(locked, "close", closed_at=timezone.now(), closed_by=actor, close_note=note, task_count=count)
        locked.refresh_from_db()
        record(
            "inspection.campaign_close", actor=actor, obj=locked, region_code=locked.region_code, before=before,
            after={"state": locked.state, "tasks": count, "added_since_start": added, "left_since_start": left,
                   "note": note},
        )  # fmt: skip
    return locked


def _safety(house: House) -> HouseSafety:
    safety, _created = HouseSafety.objects.select_for_update().get_or_create(
        house=house, defaults={"household_id": house.household_id, "region_code": house.region_code, "code": new_code()}
    )
    return safety


def new_code() -> str:
    """The public code printed on a house's label: short, unguessable, no personal data."""
    return secrets.token_urlsafe(9)


# --- inspections ------------------------------------------------------------------------------


@dataclass
class InspectionInput:
    household_id: int
    inspected_on: dt.date
    verdict: str
    uid: uuid.UUID = field(default_factory=uuid.uuid4)
    house_id: int | None = None
    campaign_id: int | None = None
    inspector_name: str = ""
    risk_parts: list[str] = field(default_factory=list)
    measure: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    household_confirmed: bool = False
    confirmed_by: str = ""
    note: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    accuracy_m: int | None = None
    mock_location: bool = False
    source: str = "web"
    captured_at: dt.datetime | None = None


def _resent_by_right(actor: User | None, existing: Any, cap: Cap) -> None:
    """A resend (same uid) gets the stored record back only if the sender may record it and see it:
    anyone else learns nothing of it, not even its region (the uid is the client's own)."""
    if actor is None:
        return
    if not (actor.can(cap) and policy.permits(actor, existing, "view")):
        raise ValidationError({"uid": _("该记录编号已被使用，请重新生成编号后再提交。")})


def _check_inspection(data: InspectionInput) -> None:
    errors: dict[str, str] = {}
    if data.verdict not in Verdict.values:
        errors["verdict"] = _("请选择排查结论。")
    if data.inspected_on > timezone.localdate():
        errors["inspected_on"] = _("排查日期不能晚于今天。")
    unknown = [p for p in data.risk_parts if p not in RISK_PARTS]
    if unknown:
        errors["risk_parts"] = _("未知的隐患部位：%(p)s") % {"p": "、".join(unknown)}
    if data.verdict == Verdict.SUSPECT:
        if not data.risk_parts:
            errors["risk_parts"] = _("疑似不安全的房屋须勾选存在隐患的部位。")
        if data.measure not in Measure.values:
            errors["measure"] = _("疑似不安全的房屋须选择建议措施。")
    elif data.risk_parts:
        errors["risk_parts"] = _("结论为基本安全时不应勾选隐患部位。")
    if data.measure and data.measure not in Measure.values:
        errors["measure"] = _("未知的建议措施。")
    if not data.inspector_name.strip():
        errors["inspector_name"] = _("请填写排查人。")
    if data.household_confirmed and not data.confirmed_by.strip():
        errors["confirmed_by"] = _("请填写确认的农户姓名。")
    _check_point(data.latitude, data.longitude, errors)
    if errors:
        raise ValidationError(errors)


def _check_point(lat: Decimal | None, lng: Decimal | None, errors: dict[str, str]) -> None:
    if (lat is None) != (lng is None):
        errors["latitude"] = _("经纬度须同时填写。")
    elif lat is not None and lng is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):
        errors["latitude"] = _("经纬度超出范围。")


def _house_of(household: Household, house_id: int | None) -> House | None:
    houses = list(household.houses.all())
    if house_id is not None:
        found = next((h for h in houses if h.pk == house_id), None)
        if found is None:
            raise ValidationError({"house": _("该房屋不属于这户农户。")})
        return found
    return next((h for h in houses if h.is_dwelling), houses[0] if houses else None)


def record_inspection(*, actor: User | None, data: InspectionInput) -> tuple[Inspection, bool]:
    """Store an inspection (or return the one already stored under its uid); returns (record, created)."""
    existing = Inspection.objects.filter(uid=data.uid).first()
    if existing is not None:
        _resent_by_right(actor, existing, Cap.INSPECT)
        return existing, False
    household = Household.objects.filter(pk=data.household_id).first()
    if household is None or (actor is not None and not actor.covers(household.region_code)):
        raise ValidationError({"household": _("找不到该农户，或不在您的管辖范围内。")})
    require(actor, Cap.INSPECT, household.region_code)
    _check_inspection(data)
    house = _house_of(household, data.house_id)
    try:
        with transaction.atomic():
            campaign = _campaign_of(household, data)
            inspection = Inspection.objects.create(
                uid=data.uid, campaign=campaign, household=household,
                house=house, region_code=household.region_code, inspector=actor, inspector_name=data.inspector_name.strip(),
                inspected_on=data.inspected_on, verdict=data.verdict, risk_parts=sorted(set(data.risk_parts)),
                measure=data.measure, answers=data.answers, household_confirmed=data.household_confirmed,
                confirmed_by=data.confirmed_by.strip(), note=data.note.strip(), latitude=data.latitude,
                longitude=data.longitude, accuracy_m=data.accuracy_m, mock_location=data.mock_location, source=data.source,
                captured_at=data.captured_at,
            )  # fmt: skip
            if campaign is not None:
                _mark_task(campaign, household, data.inspected_on)
            if house is not None:
                safety = _safety(house)
                if safety.checked_on is None or data.inspected_on >= safety.checked_on:
                    safety.verdict, safety.checked_on = data.verdict, data.inspected_on
                    safety.save(update_fields=["verdict", "checked_on"])
            if (
                data.verdict == Verdict.SUSPECT
                and not AppraisalTask.objects.filter(household=household, status=AppraisalTaskStatus.PENDING).exists()
            ):
                AppraisalTask.objects.create(household=household, house=house, region_code=household.region_code,
                                             inspection=inspection)  # fmt: skip
            record("inspection.record", actor=actor, obj=inspection, object_label=f"{household.head_name}户",
                   after=_inspection_view(inspection))  # fmt: skip
    except IntegrityError:
        # the same uid arrived twice at once: the other request stored it
        stored = Inspection.objects.filter(uid=data.uid).first()
        if stored is None:
            raise
        return stored, False
    return inspection, True


def _inspection_view(i: Inspection) -> dict[str, Any]:
    return {
        "uid": str(i.uid), "inspected_on": i.inspected_on, "verdict": i.verdict, "risk_parts": i.risk_parts,
        "measure": i.measure, "inspector": i.inspector_name, "household_confirmed": i.household_confirmed,
        "source": i.source,
    }  # fmt: skip


def _campaign_of(household: Household, data: InspectionInput) -> Campaign | None:
    """The campaign the inspection counts towards, its row locked until the inspection is stored (so a
    campaign cannot close in between): the one named, which must be open, cover the household and have
    started by the inspection's date; else the open campaign over the household that ends first, if any."""
    open_over = Campaign.objects.select_for_update().filter(
        state__in=CAMPAIGN.open_states, scope__in=[household.region_code[:n] for n in (6, 9, 12)]
    )
    if data.campaign_id is None:
        return open_over.filter(start_date__lte=data.inspected_on).order_by("deadline", "id").first()
    campaign = Campaign.objects.select_for_update().filter(pk=data.campaign_id).first()
    if campaign is None or campaign.scope not in [household.region_code[:n] for n in (6, 9, 12)]:
        raise ValidationError({"campaign": _("该农户不在这项排查工作的范围内。")})
    if campaign.is_closed:
        raise ValidationError({"campaign": _("排查工作“%(n)s”已结束，不能再录入排查记录。") % {"n": campaign.name}})
    if data.inspected_on < campaign.start_date:
        raise ValidationError({"inspected_on": _("排查日期早于这项排查工作的开始日期（%(d)s）。") % {"d": campaign.start_date}})
    return campaign


def _mark_task(campaign: Campaign, household: Household, day: dt.date) -> None:
    """The campaign's task for the household done (made now for a household added after the start)."""
    task, _created = InspectionTask.objects.select_for_update().get_or_create(
        campaign=campaign, household=household, defaults={"region_code": household.region_code}
    )
    if task.status != TaskStatus.DONE:
        task.status, task.done_on = TaskStatus.DONE, day
        task.save(update_fields=["status", "done_on"])


# --- appraisals -------------------------------------------------------------------------------


@dataclass
class AppraisalInput:
    house_id: int
    appraised_on: dt.date
    components: dict[str, str | None]
    prevention: str
    appraiser_ids: list[int]
    organisation: str
    uid: uuid.UUID = field(default_factory=uuid.uuid4)
    site_dangerous: bool = False
    site_note: str = ""
    component_notes: dict[str, str] = field(default_factory=dict)
    raised_to: str = ""
    raise_reason: str = ""
    conclusion: str = ""
    # the older method as a second opinion: {"foundation": (d, n), "enclosure": (d, n), "members": {kind: (d, n)}}
    quantitative_counts: dict[str, Any] | None = None
    kind: str = AppraisalKind.ORIGINAL
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    accuracy_m: int | None = None
    mock_location: bool = False
    source: str = "web"
    captured_at: dt.datetime | None = None


def _pair(value: Any) -> tuple[int, int]:
    dangerous, total = value or (0, 0)
    return int(dangerous), int(total)


def second_opinion(counts: dict[str, Any]) -> quantitative.Assessment:
    """The 2009 method from member counts: foundation and enclosure (dangerous, total), members per kind."""
    found = quantitative.ratio(*_pair(counts.get("foundation")), "地基基础")
    encl = quantitative.ratio(*_pair(counts.get("enclosure")), "围护结构")
    members = {k: _pair(v) for k, v in counts.get("members", {}).items() if k in quantitative.MEMBER_WEIGHTS}
    sup = quantitative.superstructure_ratio(members)
    return quantitative.assess(found, sup, encl)


def record_appraisal(*, actor: User | None, data: AppraisalInput) -> tuple[Appraisal, bool]:
    existing = Appraisal.objects.filter(uid=data.uid).first()
    if existing is not None:
        _resent_by_right(actor, existing, Cap.RESAMPLE if existing.kind == AppraisalKind.SAMPLING else Cap.APPRAISE)
        return existing, False
    house = House.objects.select_related("household").filter(pk=data.house_id).first()
    if house is None or (actor is not None and not actor.covers(house.region_code)):
        raise ValidationError({"house": _("找不到该房屋，或不在您的管辖范围内。")})
    cap = Cap.RESAMPLE if data.kind == AppraisalKind.SAMPLING else Cap.APPRAISE
    require(actor, cap, house.region_code)
    errors: dict[str, str] = {}
    structure = house.structure_type
    try:
        result = grading.compute(structure, data.site_dangerous, data.components)
        grade = grading.final_grade(result.grade, data.raised_to or None, data.raise_reason)
    except grading.GradingError as exc:
        errors["components"] = str(exc)
    if data.prevention not in Prevention.values:
        errors["prevention"] = _("请选择防灾措施情况。")
    if data.appraised_on > timezone.localdate():
        errors["appraised_on"] = _("鉴定日期不能晚于今天。")
    if not data.organisation.strip():
        errors["organisation"] = _("请填写鉴定单位。")
    if data.site_dangerous and not data.site_note.strip():
        errors["site_note"] = _("场地危险时须写明场地情况（如滑坡、沉陷、行洪通道）。")
    opinion = None
    if data.quantitative_counts:
        try:
            opinion = second_opinion(data.quantitative_counts).as_dict()
        except quantitative.QuantitativeError as exc:
            errors["quantitative"] = str(exc)
    _check_point(data.latitude, data.longitude, errors)
    appraisers = list(Trainee.objects.filter(pk__in=data.appraiser_ids, is_active=True))
    if not appraisers:
        errors["appraisers"] = _("请选择鉴定人员（须在培训台账中登记）。")
    if errors:
        raise ValidationError(errors)
    require_trained(appraisers, "appraisal", data.appraised_on)
    with transaction.atomic():
        appraisal = Appraisal.objects.create(
            uid=data.uid, kind=data.kind, household=house.household, house=house, region_code=house.region_code,
            structure_type=structure, site_dangerous=data.site_dangerous, site_note=data.site_note.strip(),
            components=data.components, component_notes=data.component_notes, computed_grade=result.grade,
            rule=result.rule, grade=grade, raise_reason=data.raise_reason.strip() if grade != result.grade else "",
            prevention=data.prevention, quantitative=opinion, organisation=data.organisation.strip(),
            appraised_on=data.appraised_on, conclusion=data.conclusion.strip(), recorded_by=actor, source=data.source,
            latitude=data.latitude, longitude=data.longitude, accuracy_m=data.accuracy_m, mock_location=data.mock_location,
            captured_at=data.captured_at,
        )  # fmt: skip
        appraisal.appraisers.set(appraisers)
        if data.kind == AppraisalKind.ORIGINAL:
            _apply_grade(house, appraisal)
        record("inspection.appraise", actor=actor, obj=appraisal, object_label=f"{house.household.head_name}户",
               after=_appraisal_view(appraisal, appraisers))  # fmt: skip
    return appraisal, True


def _apply_grade(house: House, appraisal: Appraisal) -> None:
    safety = _safety(house)
    if safety.graded_on is None or appraisal.appraised_on >= safety.graded_on:
        safety.grade, safety.graded_on, safety.appraisal = appraisal.grade, appraisal.appraised_on, appraisal
        if safety.checked_on is None or appraisal.appraised_on >= safety.checked_on:
            safety.checked_on = appraisal.appraised_on
        safety.save()
    AppraisalTask.objects.filter(household_id=house.household_id, status=AppraisalTaskStatus.PENDING).update(
        status=AppraisalTaskStatus.DONE, done_on=appraisal.appraised_on
    )


def _appraisal_view(a: Appraisal, appraisers: list[Trainee]) -> dict[str, Any]:
    return {
        "uid": str(a.uid), "kind": a.kind, "appraised_on": a.appraised_on, "site_dangerous": a.site_dangerous,
        "components": a.components, "computed_grade": a.computed_grade, "rule": a.rule, "grade": a.grade,
        "raise_reason": a.raise_reason, "prevention": a.prevention, "appraisers": [t.name for t in appraisers],
        "organisation": a.organisation,
    }  # fmt: skip
