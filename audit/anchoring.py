"""The periodic job (`manage.py anchor_audit`, and `verify_audit` before it reports): seal the
settled reads of personal data, check the chain since the last anchor (or whole), then anchor the
head. Nothing is anchored over a chain that fails its check."""

from __future__ import annotations

import datetime as dt

from audit.anchors import Anchor, AnchorError, load, write
from audit.sealing import SETTLE, seal_access_log
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
