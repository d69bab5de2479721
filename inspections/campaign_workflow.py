"""The declared workflow of an inspection campaign (排查工作): open → closed, and who may close it.

While a campaign is open it covers the households of its regions as the archive is today: a
household added (or moved in) after the start is in it and counts, one removed (or moved out) drops
out. Closing it keeps the households of its regions as they were at that moment (the task rows
become the snapshot, `inspections.services.close_campaign`); after that the campaign is read only:
no inspection can be recorded in it and it cannot be reopened (a new campaign, a 回头看, is the way
to look again). ADR 0027.

This module imports no model, so `inspections.models` can take the field's choices and its database
check from it; the state column is written only by `MACHINE.move` (called from the services).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Cap
from core.statemachine import Machine, Step

OPEN, CLOSED = "open", "closed"


@dataclass(frozen=True)
class Who:
    """Who may take a step: the capability, held at this region level or above, over the campaign's region."""

    cap: Cap
    deepest: int  # the longest region code (6: county) the actor's own region may have

    def refusal(self, actor: Any, campaign: Any) -> str | None:
        if actor is None:  # system work (a command)
            return None
        if not actor.can(self.cap):
            return _("您的角色无权进行此操作。")
        if len(actor.region_id or "") > self.deepest:
            return _("只有县级及以上的工作人员可以结束排查工作。")
        if not actor.covers(campaign.region_code):
            return _("该排查工作不在您的管辖范围内。")
        return None


def _reason_when_early(campaign: Any, *, today: dt.date, note: str = "", **_context: Any) -> str | None:
    if today < campaign.deadline and not note.strip():
        return _("截止日期前结束排查，须写明原因。")
    return None


MACHINE = Machine(
    "inspections.campaign",
    model="inspections.Campaign",
    states={OPEN: gettext_lazy("进行中"), CLOSED: gettext_lazy("已结束")},
    steps=(
        Step(
            "close",
            gettext_lazy("结束排查"),
            (OPEN,),
            CLOSED,
            guards=(_reason_when_early,),
            who=Who(Cap.MANAGE_CAMPAIGNS, deepest=6),
        ),
    ),
    initial=OPEN,
    final=(CLOSED,),
)


def refusals(campaign: Any, action: str, actor: Any, **context: Any) -> list[str]:
    """Why `actor` may not take the step on the campaign now (empty: it may), in Chinese."""
    step = MACHINE.step(action)
    who = step.who.refusal(actor, campaign) if isinstance(step.who, Who) else None
    if who:
        return [who]
    return MACHINE.reasons(campaign, step, **context)


def may(campaign: Any, action: str, actor: Any) -> bool:
    """Whether the page shows the step's button (its guards are checked when it is taken)."""
    step = MACHINE.step(action)
    return campaign.state in step.sources and not (isinstance(step.who, Who) and step.who.refusal(actor, campaign))
