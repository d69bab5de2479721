"""The declared state machines of funds (core.statemachine): the disbursement batch and the subsidy exception.

A batch is made by one person (制单, PAY_MAKE) and approved by another (复核, PAY_CHECK), issued to the bank,
then its return files come back: a batch with lines still waiting for the bank is "returned", one with no
line waiting is "closed"; a draft the checker will not approve is cancelled by the maker. `Step.who` says
who may take each step: the capability and whether the maker of the batch is barred from it (separation of
duties). The services (funds/services.py) check `who` and the
guards under select_for_update and then move the row with `Machine.move_one`, the only writer of the column.

A subsidy exception (an amount above the standard, funds/standards.py) is requested by one person and
approved or refused by a second person at county level.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.permissions import require
from accounts.roles import Cap
from core.statemachine import Machine, Step


@dataclass(frozen=True)
class Who:
    """Who may take a step: a capability, and whether the person who made (requested) the row is barred."""

    cap: Cap
    not_maker: bool = False
    county_only: bool = False


DRAFT, APPROVED, SENT, RETURNED, CLOSED, CANCELLED = "draft", "approved", "sent", "returned", "closed", "cancelled"

BATCH = Machine(
    "funds.batch",
    model="funds.DisbursementBatch",
    column="status",
    states={
        DRAFT: gettext_lazy("待审核"),
        APPROVED: gettext_lazy("已审核"),
        SENT: gettext_lazy("已交银行"),
        RETURNED: gettext_lazy("已回盘（有待确认）"),
        CLOSED: gettext_lazy("已结清"),
        CANCELLED: gettext_lazy("已作废"),
    },
    steps=(
        Step("approve", gettext_lazy("审核批次"), (DRAFT,), APPROVED, who=Who(Cap.PAY_CHECK, not_maker=True)),
        Step("issue", gettext_lazy("生成银行代发文件"), (APPROVED,), SENT, who=Who(Cap.PAY_MAKE)),
        Step("return", gettext_lazy("导入回盘"), (SENT, RETURNED), RETURNED, who=Who(Cap.PAY_MAKE)),
        Step("close", gettext_lazy("结清批次"), (SENT, RETURNED), CLOSED, who=Who(Cap.PAY_MAKE)),
        # a draft the checker will not approve (a line no longer fits its standard): its lines are released
        Step("cancel", gettext_lazy("作废批次"), (DRAFT,), CANCELLED, who=Who(Cap.PAY_MAKE), needs_comment=True),
    ),
    initial=DRAFT,
    final=(CLOSED, CANCELLED),
)

# The batch states whose payments have gone to (or are cleared for) the bank: the ledger counts them.
ISSUED_STATES = (APPROVED, SENT, RETURNED, CLOSED)
# The batch states in which a return file may be imported or a line decided.
AT_BANK = (SENT, RETURNED)

PENDING, EXC_APPROVED, REFUSED = "pending", "approved", "refused"
SECOND_AT_COUNTY = Who(Cap.PAY_CHECK, not_maker=True, county_only=True)

EXCEPTION = Machine(
    "funds.exception",
    model="funds.SubsidyException",
    states={PENDING: gettext_lazy("待审批"), EXC_APPROVED: gettext_lazy("已批准"), REFUSED: gettext_lazy("未批准")},
    steps=(
        Step("approve", gettext_lazy("批准超标准补助"), (PENDING,), EXC_APPROVED, who=SECOND_AT_COUNTY),
        Step("refuse", gettext_lazy("不批准超标准补助"), (PENDING,), REFUSED, who=SECOND_AT_COUNTY, needs_comment=True),
    ),
    initial=PENDING,
    final=(EXC_APPROVED, REFUSED),
)


def check_who(machine: Machine, action: str, actor: User | None, region_code: str, maker_id: int | None) -> Step:
    """Refuse (PermissionDenied, in Chinese) a person who may not take the step; returns the step."""
    step = machine.step(action)
    who: Who = step.who
    require(actor, who.cap, region_code)
    if actor is None:  # the operator's command
        return step
    if who.county_only and len(actor.region_id or "") != 6:
        raise PermissionDenied(_("“%(a)s”须由县级人员办理。") % {"a": step.label})
    if who.not_maker and maker_id is not None and maker_id == actor.pk:
        raise PermissionDenied(_("“%(a)s”须由制单人以外的另一人办理（制单人、申请人不能自己审核）。") % {"a": step.label})
    return step
