"""Public notices (公示) of case lists at village, town and county level, and objections to them.

Publishing a notice is the workflow's notice step for each of its cases; its period is counted from
the later of the given start and the day it is published (renovation.dates.notice_period), and the
next review is refused until it has ended (renovation.workflow.notice_over). An objection holds its
case (the hold step) until it is resolved (the release step); an objection found right refuses the case.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import require
from accounts.roles import Cap
from audit.services import record
from codetables.selectors import hotline_for
from regions.selectors import name_of
from renovation import dates, workflow
from renovation.models import Case, Notice, NoticeLevel, Objection
from renovation.services import NOTICE_LEVEL_OF, move_many, set_hold, transition

LEVEL_NAMES = {"village": "村", "town": "乡镇", "county": "县"}


def publish(
    *,
    actor: User | None,
    level: str,
    scope: str,
    case_ids: list[int],
    start_date: dt.date,
    end_date: dt.date | None = None,
    hotline: str = "",
) -> Notice:
    """Put a list of cases on notice at a level, for at least the configured number of days."""
    if level not in NoticeLevel.values:
        raise ValidationError(_("未知的公示级别。"))
    if len(scope) != workflow.NOTICE_LEVEL[level] or (actor is not None and len(actor.region_id or "") != len(scope)):
        raise ValidationError(_("%(l)s级公示须由%(l)s级在本辖区发布。") % {"l": LEVEL_NAMES[level]})
    require(actor, Cap.CASE_REVIEW, scope)
    entered = dates.today()
    period, problem = dates.notice_period(level, start_date, end_date, entered)
    if problem:
        raise ValidationError({"start_date": problem})
    assert period is not None
    source = workflow.NOTICE_FROM[level]
    with transaction.atomic():
        cases = list(
            Case.objects.select_for_update(of=("self",))
            .select_related("household")
            .filter(pk__in=case_ids, region_code__startswith=scope)
        )
        wrong = [c for c in cases if c.state != source]
        if len(cases) != len(set(case_ids)) or wrong or not cases:
            raise ValidationError(
                _("只能公示本辖区内“%(s)s”的改造户（%(n)d 户不符合）。")
                % {"s": workflow.MACHINE.label(source), "n": len(set(case_ids)) - len(cases) + len(wrong)}
            )
        early = [c for c in cases if dates.step_problems(c, f"{level}_notice", start_date, entered)]
        if early:
            first = dates.step_problems(early[0], f"{level}_notice", start_date, entered)[0]
            raise ValidationError(
                {"start_date": _("%(n)d 户的公示开始日期不符合要求，例如%(h)s户：%(r)s")
                 % {"n": len(early), "h": early[0].household.head_name, "r": first}}
            )  # fmt: skip
        notice = Notice.objects.create(
            level=level,
            region_code=scope.ljust(12, "0"),
            start_date=start_date,
            counted_from=period.counted_from,
            end_date=period.end,
            hotline=hotline.strip() or hotline_for(scope),
            created_by=actor,
            title=_("%(r)s%(y)s年农村危房改造对象%(l)s")
            % {"r": name_of(scope), "y": start_date.year, "l": NoticeLevel(level).label},
        )
        notice.cases.set(cases)
        comment = _("%(s)s 至 %(e)s") % {"s": f"{start_date:%Y-%m-%d}", "e": f"{period.end:%Y-%m-%d}"}
        move_many(actor=actor, cases=cases, action=f"{level}_notice", on=start_date, comment=comment)
        record(
            "renovation.notice",
            actor=actor,
            obj=notice,
            region_code=notice.region_code,
            after={
                "level": level,
                "cases": len(cases),
                "start": start_date,
                "counted_from": period.counted_from,
                "end": period.end,
                "hotline": notice.hotline,
            },
        )
    return notice


def record_objection(*, actor: User | None, case_id: int, content: str, received_on: dt.date | None = None) -> Objection:
    case = Case.objects.get(pk=case_id)
    require(actor, Cap.CASE_REVIEW, case.region_code)
    if not content.strip():
        raise ValidationError({"content": _("请填写异议内容。")})
    received_on = received_on or dates.today()
    if problem := dates.not_future(received_on, dates.today(), _("收到异议的日期")):
        raise ValidationError({"received_on": problem})
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case_id)
        notice = case.notices.order_by("-end_date").first()
        set_hold(actor=actor, case=case, hold=True)
        objection = Objection.objects.create(
            case=case,
            notice=notice,
            region_code=case.region_code,
            content=content.strip(),
            received_on=received_on,
            recorded_by=actor,
        )
        record(
            "renovation.objection",
            actor=actor,
            obj=objection,
            region_code=case.region_code,
            object_label=f"{case.household.head_name}户",
            after={"content": objection.content},
        )
    return objection


def resolve_objection(*, actor: User | None, objection_id: int, resolution: str, upheld: bool) -> Objection:
    """Answer an objection; the case goes on when none is left open, or is refused when the objection is right."""
    with transaction.atomic():
        objection = Objection.objects.select_for_update().get(pk=objection_id)
        require(actor, Cap.CASE_REVIEW, objection.region_code)
        if objection.resolved:
            raise ValidationError(_("该异议已处理。"))
        if not resolution.strip():
            raise ValidationError({"resolution": _("请填写核实情况和处理结果。")})
        objection.resolved, objection.upheld, objection.resolution = True, upheld, resolution.strip()
        objection.resolved_by = actor
        objection.save()
        case = Case.objects.select_for_update().get(pk=objection.case_id)
        if case.on_hold and not case.objections.filter(resolved=False).exists() and case.state in NOTICE_LEVEL_OF:
            case = set_hold(actor=actor, case=case, hold=False)
        record(
            "renovation.objection_resolve",
            actor=actor,
            obj=objection,
            region_code=objection.region_code,
            object_label=f"{case.household.head_name}户",
            after={"upheld": upheld, "resolution": objection.resolution},
        )
        if upheld:
            try:
                transition(actor=None, case_id=case.pk, action="reject", comment=_("公示异议成立：%(r)s") % {"r": resolution})
            except (ValidationError, PermissionDenied):
                pass  # already past the notices: the reviewer decides what to do with the case
    return objection


def notice_cases(notice: Notice) -> QuerySet[Case]:
    return notice.cases.select_related("household", "house").order_by("region_code", "household__head_name")


def notice_html(notice: Notice) -> str:
    """The printable list: village, head of household, family size, grade, mode (names in full, as a notice must be)."""
    rows = [
        (name_of(c.region_code), c.household.head_name, c.household.family_size, c.grade, c.get_mode_display() or "—")
        for c in notice_cases(notice)
    ]
    return render_to_string("renovation/notice_pdf.html", {"n": notice, "rows": rows})
