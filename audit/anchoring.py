"""The periodic job (`manage.py anchor_audit`, and `verify_audit` before it reports): seal the
settled reads of personal data, check the chain since the last anchor (or whole), then anchor the
head. Nothing is anchored over a chain that fails its check."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from audit.anchors import Anchor, AnchorError, load, write
from audit.sealing import RESTART, SETTLE, seal_access_log
from audit.verify import ChainReport, verify


def anchor_audit(full: bool = False, settle: dt.timedelta = SETTLE) -> tuple[ChainReport, Anchor | None]:
    """Returns the check's report and the new anchor (None when the check failed or nothing is new)."""
    seal_access_log(settle)
    try:
        anchors = load()
    except AnchorError as exc:
        return ChainReport(checked=0, first_bad_id=None, reason=str(exc)), None
    since = anchors[-1] if anchors and not full else None
    report = verify(since=since)
    if not report.ok or report.checked == 0:
        return report, None
    if anchors and anchors[-1].head_id == report.head_id:
        return report, None  # no event since the last anchor
    try:
        return report, write(report.head_id, report.head_hash, report.checked)
    except AnchorError as exc:
        report.reason = str(exc)
        return report, None


def restart(reason: str) -> tuple[ChainReport, Anchor | None]:
    """After restoring a backup older than the newest anchor (the trail then rightly fails: the
    restore lost events). Checks the chain alone, records a chained event naming the reason and
    what the last anchor had counted, and starts a new epoch of anchors from the present head.
    Older anchors stay, signed, and keep showing how many events there had been."""
    from audit.services import Event, record_many

    if not reason.strip():
        return ChainReport(checked=0, first_bad_id=None, reason=_("请写明重新起算的原因（例如：某日从备份恢复）")), None
    try:
        anchors = load()
    except AnchorError as exc:
        return ChainReport(checked=0, first_bad_id=None, reason=str(exc)), None
    report = verify(anchored=False)
    if not report.ok or not anchors:
        return report, None
    last = anchors[-1]
    after = {
        "epoch": last.epoch + 1,
        "reason": reason.strip()[:500],
        "last_anchor": {"seq": last.seq, "head_id": last.head_id, "count": last.count, "at": last.at},
        "head_id": report.head_id,
        "count": report.checked,
    }
    record_many([Event(RESTART, object_type="audit.auditanchor", object_label=reason.strip()[:200], after=after)])
    report = verify(anchored=False)
    if not report.ok:
        return report, None
    return report, write(report.head_id, report.head_hash, report.checked, restart=True)


def describe(report: ChainReport, anchor: Anchor | None) -> str:
    """A command's answer: the check, and the anchor written or why none was."""
    if not report.ok:
        return report.message()
    if anchor is None:
        done = _("没有新事件，未写新锚点")
    else:
        done = _("已写第 %(seq)s 号锚点（第 %(head)s 号事件，共 %(count)s 条）") % {
            "seq": anchor.seq, "head": anchor.head_id, "count": anchor.count}  # fmt: skip
    return f"{report.message()}；{done}"
