"""Every write of renovation cases: opening (with eligibility), the workflow's transitions, the
agreement's terms, construction stages and acceptance. Notices and objections are in notices.py."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import User
from accounts.permissions import require
from accounts.roles import Cap
from audit.services import record
from core.errors import ConflictError
from core.statemachine import Step
from households.models import House, Household
from inspections.models import Appraisal, AppraisalKind
from renovation import dates, rules, stage_evidence, workflow
from renovation.models import GUARANTEE_MODES, NEW_BUILD_MODES, Acceptance, BuildMethod, Case, CaseEvent, Mode
from training.models import PersonKind, Trainee
from training.services import require_trained

DONE_STATES = workflow.DONE_STATES


def _latest_appraisal(house: House) -> Appraisal | None:
    return Appraisal.objects.filter(house=house, kind=AppraisalKind.ORIGINAL).order_by("-appraised_on", "-id").first()


def eligibility(household: Household, house: House, year: int) -> tuple[Appraisal | None, list[str]]:
    """The appraisal a case would rest on, and every reason the household cannot have a case (domain 7.1)."""
    reasons = []
    if not household.is_key_group:
        reasons.append(_("该户不是农村低收入群体等重点对象"))
    appraisal = _latest_appraisal(house)
    if appraisal is None:
        reasons.append(_("该房屋尚未鉴定"))
    elif appraisal.grade not in ("C", "D"):
        reasons.append(_("该房屋鉴定为 %(g)s 级，只有 C 级、D 级危房可以改造") % {"g": appraisal.grade})
    cases = Case.objects.filter(house=house)
    if cases.filter(state__in=workflow.OPEN_STATES).exclude(state__in=DONE_STATES).exists():
        reasons.append(_("该房屋已有办理中的改造"))
    done = cases.filter(state__in=DONE_STATES).order_by("-accepted_on").first()
    if done is not None and appraisal is not None and (done.accepted_on or done.created_at.date()) >= appraisal.appraised_on:
        reasons.append(_("该房屋已于 %(y)s 年享受改造补助，之后没有新的危房鉴定") % {"y": done.year})
    if Case.objects.filter(household=household, year=year).exclude(state=workflow.REJECTED).exclude(house=house).exists():
        reasons.append(_("该户 %(y)s 年度已有改造（一户一次）") % {"y": year})
    return appraisal, reasons


def open_case(*, actor: User | None, house_id: int, year: int | None = None) -> Case:
    house = House.objects.select_related("household").filter(pk=house_id).first()
    if house is None or (actor is not None and not actor.covers(house.region_code)):
        raise ValidationError({"house": _("找不到该房屋，或不在您的管辖范围内。")})
    require(actor, Cap.CASE_APPLY, house.region_code)
    household = house.household
    year = year or timezone.localdate().year
    appraisal, reasons = eligibility(household, house, year)
    if reasons:
        raise ValidationError(_("不能纳入危房改造：%(r)s。") % {"r": "；".join(reasons)})
    assert appraisal is not None
    try:
        with transaction.atomic():
            case = Case.objects.create(
                household=household,
                house=house,
                appraisal=appraisal,
                region_code=house.region_code,
                year=year,
                grade=appraisal.grade,
                deadline=workflow.deadline_for(appraisal.appraised_on),
                family_size=household.family_size or 1,
            )
            _event(case, "open", "", workflow.MACHINE.initial, actor, "")
            record(
                "renovation.open",
                actor=actor,
                obj=case,
                object_label=f"{household.head_name}户",
                after={"year": year, "grade": case.grade, "deadline": case.deadline},
            )
    except IntegrityError:
        raise ValidationError(_("该房屋已有办理中的改造。")) from None
    return case


def _event(
    case: Case,
    action: str,
    source: str,
    target: str,
    actor: User | None,
    comment: str,
    batch: uuid.UUID | None = None,
    on: dt.date | None = None,
) -> CaseEvent:
    name = actor.display_name if actor else _("系统")
    return CaseEvent.objects.create(
        case=case,
        action=action,
        from_state=source,
        to_state=target,
        actor=actor,
        actor_name=name,
        comment=comment,
        batch=batch,
        effective_on=on or timezone.localdate(),
    )


def _level(actor: User | None) -> int:
    return len(actor.region_id or "") if actor else 0


def check_step(actor: User | None, case: Case, step: Step, comment: str, today: dt.date) -> list[str]:
    """Why this actor may not take this step on this case now (empty when they may); guards see the server's date."""
    if case.state not in step.sources:
        return [_("当前状态为“%(s)s”，不能进行“%(a)s”") % {"s": workflow.MACHINE.label(case.state), "a": step.label}]
    if actor is not None:
        who = step.who
        if who is None or not actor.can(who.cap) or not actor.covers(case.region_code):
            return [_("您的角色无权进行“%(a)s”") % {"a": step.label}]
        if _level(actor) not in who.levels:
            levels = "、".join(str(LEVEL_NAMES[n]) for n in who.levels)
            return [_("“%(a)s”须由%(l)s级办理") % {"a": step.label, "l": levels}]
    if step.needs_comment and not comment.strip():
        return [_("“%(a)s”须写明理由") % {"a": step.label}]
    return [reason for guard in step.guards if (reason := guard(case, today))]


LEVEL_NAMES = {workflow.VILLAGE: _lazy("村"), workflow.TOWN: _lazy("乡镇"), workflow.COUNTY: _lazy("县")}
# Steps with their own form and service (a notice is published, an objection recorded, acceptance has its
# checklist, a date is corrected with a reason, payment is the bank's): never taken by the bare transition.
OWN_SERVICE = {
    **dict.fromkeys(workflow.NOTICE_ACTIONS, _lazy("请通过“发布公示”办理")),
    **dict.fromkeys(workflow.HOLD_ACTIONS, _lazy("请通过登记或处理异议办理")),
    **dict.fromkeys(workflow.CORRECT_ACTIONS, _lazy("请通过“更正日期”办理")),
    "accept": _lazy("请填写竣工验收表办理"),
    "pay": _lazy("补助拨付以银行回盘为准，不能手工办理"),
}


def _locked(actor: User | None, case_id: int, version: int | None) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or (actor is not None and not actor.covers(case.region_code)):
        raise ValidationError(_("找不到该改造户，或不在您的管辖范围内。"))
    if version is not None and case.version != version:
        raise ConflictError()
    return case


def transition(
    *,
    actor: User | None,
    case_id: int,
    action: str,
    comment: str = "",
    version: int | None = None,
    on: dt.date | None = None,
    batch: uuid.UUID | None = None,
) -> Case:
    """Move one case by one declared step, or refuse with the reasons and change nothing."""
    step = workflow.MACHINE.step(action)
    if action in OWN_SERVICE:
        raise ValidationError(str(OWN_SERVICE[action]))
    with transaction.atomic():
        case = _locked(actor, case_id, version)
        return _take(actor, case, step, comment, on, batch)


def _take(
    actor: User | None,
    case: Case,
    step: Step,
    comment: str,
    on: dt.date | None,
    batch: uuid.UUID | None = None,
    values: dict[str, Any] | None = None,
) -> Case:
    """The one mover of a locked case: who, guards and dates checked, then `Machine.move`, the event and the audit."""
    entered = dates.today()
    given = on or entered
    reasons = check_step(actor, case, step, comment, entered) or dates.step_problems(case, step.action, given, entered)
    if reasons:
        raise ValidationError("；".join(reasons))
    _stage_checks(case, step.action, entered)
    source = case.state
    values = {**_stamps(step.action, given), **(values or {}), "version": F("version") + 1}
    if step.target in workflow.FINAL_STATES or step.target == workflow.APPLICATION:
        values["on_hold"] = False  # returned or refused: nothing is held any more
    workflow.MACHINE.move_one(case, step.action, **values)
    case.refresh_from_db()
    _event(case, step.action, source, step.target, actor, comment.strip(), batch, on=given)
    record(
        f"renovation.{step.action}",
        actor=actor,
        obj=case,
        object_label=f"{case.household.head_name}户",
        before={"state": source},
        after={"state": case.state, "comment": comment.strip(), "on": given},
    )
    return case


def _stamps(action: str, on: dt.date) -> dict[str, dt.date]:
    if action in workflow.STAGE_DATES:
        return {workflow.STAGE_DATES[action]: on}
    if action in ("confirm_guarantee", "accept"):
        return {"accepted_on": on}
    return {}


def move_many(
    *,
    actor: User | None,
    cases: list[Case],
    action: str,
    on: dt.date,
    comment: str = "",
    values: dict[str, Any] | None = None,
) -> list[Case]:
    """Move a list of cases (locked by the caller, each already checked) by one step together: a notice's
    list, or a bank return of up to 50,000 payments. Each moves from its own state through `Machine.move`."""
    from audit.services import Event, record_many
    from core.bulk import insert_instances

    step = workflow.MACHINE.step(action)
    ready = [c for c in cases if c.state in step.sources]
    if not ready:
        return []
    moved = workflow.MACHINE.move_ids(Case, [c.pk for c in ready], action, increment=("version",), **(values or {}))
    if moved != len(ready):
        raise ConflictError()
    batch, name = uuid.uuid4(), actor.display_name if actor else _("系统")
    insert_instances([
        CaseEvent(case_id=c.pk, action=action, from_state=c.state, to_state=step.target, actor=actor, actor_name=name,
                  comment=comment, batch=batch, effective_on=on)
        for c in ready
    ])  # fmt: skip
    record_many(Event(f"renovation.{action}", actor=actor, obj=c, object_label=f"{c.household.head_name}户",
                      before={"state": c.state}, after={"state": step.target, "on": on, **(values or {})})
                for c in ready)  # fmt: skip
    return ready


def correct_date(*, actor: User | None, case_id: int, stage: str, on: dt.date, reason: str, version: int | None = None) -> Case:
    """Correct a construction stage's date (a wrong or future date): the town or county, with a reason; the
    date rules are checked again with the new date, the case history shows it, the audit keeps before/after."""
    with transaction.atomic():
        case = _locked(actor, case_id, version)
        step = workflow.BY_ACTION.get(f"correct_{case.state}") or workflow.BY_ACTION[f"correct_{workflow.STARTED}"]
        entered = dates.today()
        reasons = check_step(actor, case, step, reason, entered) or dates.correction_problems(case, stage, on, entered)
        if reasons:
            raise ValidationError("；".join(reasons))
        column = workflow.STAGE_DATES[stage]
        before = getattr(case, column)
        workflow.MACHINE.move_one(case, step.action, **{column: on, "version": F("version") + 1})
        case.refresh_from_db()
        what = dates.STAGE_NAMES[stage]
        note = _("%(s)s日期由 %(b)s 更正为 %(a)s：%(r)s") % {"s": what, "b": before, "a": on, "r": reason.strip()}
        _event(case, step.action, case.state, case.state, actor, note, on=entered)
        record(
            "renovation.correct_date",
            actor=actor,
            obj=case,
            object_label=f"{case.household.head_name}户",
            before={column: before},
            after={column: on, "reason": reason.strip()},
        )
    return case


def set_hold(*, actor: User | None, case: Case, hold: bool) -> Case:
    """An objection holds a case on notice (or the last one answered releases it): a step of the workflow."""
    level = NOTICE_LEVEL_OF.get(case.state)
    if level is None:
        state = workflow.MACHINE.label(case.state)
        raise ValidationError(_("只能在公示期间登记或处理异议（当前状态为“%(s)s”）。") % {"s": state})
    step = workflow.BY_ACTION[f"{level}_{'hold' if hold else 'release'}"]
    return _take(actor, case, step, "", None, values={"on_hold": hold})


NOTICE_LEVEL_OF = {state: level for level, state in workflow.NOTICE_STATE.items()}


@dataclass
class BatchResult:
    moved: list[int]
    refused: dict[int, str]


def transition_many(
    *, actor: User | None, case_ids: list[int], action: str, comment: str = "", on: dt.date | None = None
) -> BatchResult:
    """A list moved together (a village's list reviewed by the town): each case moves or is refused with its reason."""
    batch = uuid.uuid4()
    result = BatchResult([], {})
    for case_id in case_ids:
        try:
            transition(actor=actor, case_id=case_id, action=action, comment=comment, on=on, batch=batch)
            result.moved.append(case_id)
        except (ValidationError, PermissionDenied, ConflictError) as exc:
            result.refused[case_id] = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    return result


# --- the agreement's terms ----------------------------------------------------------------------


@dataclass
class Terms:
    mode: str
    build_method: str = ""
    planned_area: Decimal | None = None
    subsidy: Decimal | None = None
    builder_id: int | None = None
    guarantee_evidence: str = ""


def set_terms(*, actor: User | None, case_id: int, terms: Terms, version: int | None = None, on: dt.date | None = None) -> Case:
    """Mode, build method, area, subsidy and builder, agreed before the agreement is signed."""
    errors: dict[str, str] = {}
    if terms.mode not in Mode.values:
        errors["mode"] = _("请选择改造方式。")
    if terms.mode in GUARANTEE_MODES:
        if not terms.guarantee_evidence.strip():
            errors["guarantee_evidence"] = _("投亲靠友、租赁、置换等保障方式须写明证明材料（协议、租赁合同等）。")
    else:
        if terms.build_method not in BuildMethod.values:
            errors["build_method"] = _("请选择建设方式。")
        if terms.builder_id is None:
            errors["builder"] = _("请选择施工的建筑工匠或施工单位（须在培训台账中登记）。")
    if terms.subsidy is None or terms.subsidy < 0:
        errors["subsidy"] = _("请填写补助金额（元）。")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        if actor is not None and not actor.covers(case.region_code):
            raise ValidationError(_("找不到该改造户，或不在您的管辖范围内。"))
        require(actor, Cap.CASE_APPROVE, case.region_code)
        if version is not None and case.version != version:
            raise ConflictError()
        if case.state not in workflow.TERMS_OPEN:
            raise ValidationError(_("县级审批通过后才能确定改造方式和补助。"))
        if terms.mode in NEW_BUILD_MODES:
            if terms.planned_area is None:
                errors["planned_area"] = _("新建、翻建须填写建筑面积。")
            elif (problem := rules.check_area(case.family_size, terms.planned_area)) is not None:
                errors["planned_area"] = problem
        builder = _builder(terms.builder_id, errors) if terms.mode not in GUARANTEE_MODES else None
        if "subsidy" not in errors and terms.mode in Mode.values:
            from funds.standards import problem as subsidy_problem  # funds imports renovation: import here

            if reason := subsidy_problem(case, terms.subsidy, mode=terms.mode):
                errors["subsidy"] = reason  # the one subsidy rule: the standard, or an approved exception
        if errors:
            raise ValidationError(errors)
        if builder is not None:
            require_trained([builder], "construction", on or timezone.localdate())
        before = _terms_view(case)
        case.mode, case.build_method, case.planned_area = terms.mode, terms.build_method, terms.planned_area
        case.subsidy, case.builder, case.guarantee_evidence = terms.subsidy, builder, terms.guarantee_evidence.strip()
        case.version = F("version") + 1
        case.save()
        case.refresh_from_db()
        record(
            "renovation.terms",
            actor=actor,
            obj=case,
            object_label=f"{case.household.head_name}户",
            before=before,
            after=_terms_view(case),
        )
    return case


def _builder(builder_id: int | None, errors: dict[str, str]) -> Trainee | None:
    builder = Trainee.objects.filter(pk=builder_id, is_active=True).first() if builder_id else None
    if builder_id and builder is None:
        errors["builder"] = _("培训台账中找不到该施工方。")
    elif builder is not None:
        if builder.kind not in (PersonKind.CRAFTSMAN, PersonKind.FIRM):
            errors["builder"] = _("施工方须为建筑工匠或施工单位。")
        elif builder.kind == PersonKind.FIRM and not builder.licence_no.strip():
            errors["builder"] = _("施工单位须登记资质证书编号。")
    return builder


def _terms_view(case: Case) -> dict[str, Any]:
    return {
        "mode": case.mode,
        "build_method": case.build_method,
        "planned_area": case.planned_area,
        "subsidy": case.subsidy,
        "builder": case.builder.name if case.builder else "",
        "guarantee_evidence": case.guarantee_evidence,
    }


# --- construction stages and acceptance ------------------------------------------------------------

STAGE_PHOTOS = {"start": "before", "structure_done": "during", "complete": "after"}
STAGE_LABELS = {"before": "施工前", "during": "施工中", "after": "竣工后"}


def _stage_checks(case: Case, action: str, today: dt.date) -> None:
    """Construction evidence: the photos of the stage on file. (The stage dates and their gaps are
    renovation.dates'; new builds' order is the workflow's guard.)"""
    if action not in STAGE_PHOTOS:
        return
    if (photo_reason := stage_evidence.stage_refusal(case, action)) is not None:  # photo evidence: ADR 0026
        raise ValidationError(photo_reason)


ACCEPTANCE_ITEMS = {
    "site": "选址",
    "layout": "平面布局",
    "area": "建筑面积",
    "height": "层高",
    "foundation": "地基基础",
    "walls": "墙体",
    "seismic": "抗震构造措施",
    "beams": "梁柱",
    "floors": "楼地面及楼梯",
    "roof": "屋面",
    "ground": "室外地坪",
    "daylight": "采光",
    "ventilation": "通风",
}
CHECK_VALUES = {"ok": "✓", "fail": "×", "na": "无此项"}


@dataclass
class AcceptanceInput:
    checklist: dict[str, str]
    household_agrees: bool
    household_signatory: str
    inspectors: str
    accepted_on: dt.date
    note: str = ""


def accept(*, actor: User | None, case_id: int, data: AcceptanceInput) -> Case:
    """Completion acceptance: every item checked, none failed, a re-appraisal of A or B after completion, the household agrees."""
    errors: dict[str, str] = {}
    missing = [label for key, label in ACCEPTANCE_ITEMS.items() if data.checklist.get(key) not in CHECK_VALUES]
    failed = [ACCEPTANCE_ITEMS[k] for k, v in data.checklist.items() if v == "fail" and k in ACCEPTANCE_ITEMS]
    if missing:
        errors["checklist"] = _("请逐项验收：%(m)s") % {"m": "、".join(missing)}
    elif failed:
        errors["checklist"] = _("验收不合格的项目：%(f)s，整改后再验收") % {"f": "、".join(failed)}
    if not data.household_agrees or not data.household_signatory.strip():
        errors["household_agrees"] = _("须有农户确认验收结果并签字。")
    if not data.inspectors.strip():
        errors["inspectors"] = _("请填写验收人员。")
    for name, label, limit in (("household_signatory", _("农户签字人"), 50), ("inspectors", _("验收人员"), 200)):
        if len(getattr(data, name).strip()) > limit:  # the columns' lengths (Acceptance): PostgreSQL refuses longer
            errors[name] = _("%(f)s最多 %(n)d 个字。") % {"f": label, "n": limit}
    case = Case.objects.get(pk=case_id)
    reappraisal = (
        Appraisal.objects.filter(
            house_id=case.house_id, kind=AppraisalKind.ORIGINAL, appraised_on__gte=case.completed_on or case.created_at.date()
        )
        .order_by("-appraised_on", "-id")
        .first()
    )
    if reappraisal is None:
        errors["reappraisal"] = _("竣工后须重新鉴定，鉴定为 A 级或 B 级才能验收。")
    elif reappraisal.grade not in ("A", "B"):
        errors["reappraisal"] = _("竣工后鉴定为 %(g)s 级，须达到 A 级或 B 级才能验收。") % {"g": reappraisal.grade}
    if errors:
        raise ValidationError(errors)
    assert reappraisal is not None
    with transaction.atomic():
        locked = _locked(actor, case_id, None)
        moved = _take(actor, locked, workflow.BY_ACTION["accept"], data.note, data.accepted_on)
        Acceptance.objects.create(
            case=moved,
            checklist=data.checklist,
            reappraisal=reappraisal,
            household_agrees=True,
            household_signatory=data.household_signatory.strip(),
            inspectors=data.inspectors.strip(),
            accepted_on=data.accepted_on,
            note=data.note.strip(),
        )
    return moved


def mark_paid(*, case_id: int, on: dt.date, actor: User | None = None) -> Case:
    """One case's final payment confirmed (see mark_paid_many); refuses with the reason when it is not ready."""
    case = Case.objects.get(pk=case_id)
    problem = workflow.paid_ready(case)
    if problem:
        raise ValidationError(problem)
    mark_paid_many(cases=Case.objects.filter(pk=case_id), on=on, actor=actor)
    case.refresh_from_db()
    return case


def mark_paid_many(*, cases: QuerySet[Case], on: dt.date, actor: User | None = None) -> int:
    """The bank confirmed these cases' final payments: each ready case (workflow.payable) takes the "pay"
    step, in bulk (a batch may hold 50,000). `actor` is the person who imported the bank's return file."""
    with transaction.atomic():
        ready = list(
            workflow.payable(cases)
            .select_for_update(of=("self",))
            .select_related("household")
            .only("id", "state", "mode", "region_code", "household_id", "household__head_name")
        )
        moved = move_many(actor=actor, cases=ready, action=workflow.PAY.action, on=on, comment=_("银行回盘确认到账"),
                          values={"paid_on": on})  # fmt: skip
    return len(moved)


def publish_ranking(*, actor: User | None, prefix: str, year: int, day: dt.date | None = None) -> Any:
    """Publish today's ranking to the towns (or counties) below: a dated copy they all see; publishing again replaces it."""
    from renovation.models import ProgressReport
    from renovation.selectors import ranking

    require(actor, Cap.CASE_APPROVE, prefix.ljust(12, "0"))
    day = day or timezone.localdate()
    keys = ("rank", "code", "name", "plan", "started", "completed", "accepted", "paid", "overdue")
    rows = [{**{k: getattr(r, k) for k in keys}, "completed_rate": r.completed_rate} for r in ranking(prefix, year, day)]
    with transaction.atomic():
        report, _created = ProgressReport.objects.update_or_create(
            region_code=prefix.ljust(12, "0"), year=year, day=day, defaults={"rows": rows, "published_by": actor}
        )
        record(
            "renovation.ranking", actor=actor, obj=report, region_code=report.region_code, after={"day": day, "units": len(rows)}
        )
    return report
