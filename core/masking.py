"""How personal numbers are shown when the viewer has not asked to see them whole.

Each mask keeps at most the characters its kind may show, and never more than half of a short value:
a value too short to mask safely is starred whole. An undecryptable value ("无法解密",
core.crypto.UNREADABLE) is shown as it is. What a payload may show beside a masked number (birth
date, age) is decided by households.privacy.
"""

from __future__ import annotations

from core.crypto import Unreadable


def _keep(value: str, head: int, tail: int) -> str:
    """`value` with all but its first `head` and last `tail` characters starred."""
    if isinstance(value, Unreadable):
        return value
    hidden = len(value) - head - tail
    if hidden <= 0:
        return "*" * len(value)
    return value[:head] + "*" * hidden + value[len(value) - tail :]


def mask_id_number(value: str) -> str:
    """610826196805121234 -> 610826********1234: the area and the sequence stay, the birth date goes.

    An 18-character number keeps 6 + 4 (its hidden 8 are exactly the birth date, which therefore
    never appears beside it: households.privacy); a 15-character one keeps 6 + 3 (its 6-digit birth
    date hidden); anything else keeps less than a quarter at each end."""
    if not value:
        return ""
    if len(value) == 18:
        return _keep(value, 6, 4)
    if len(value) == 15:
        return _keep(value, 6, 3)
    keep = (len(value) - 1) // 4
    return _keep(value, keep, keep)


def mask_phone(value: str) -> str:
    """13812345678 -> 138****5678; a shorter number keeps at most its last 4, never half, and one of
    fewer than 7 digits is starred whole."""
    if not value:
        return ""
    if len(value) >= 11:
        return _keep(value, 3, 4)
    return _keep(value, 0, min(4, (len(value) - 1) // 2) if len(value) >= 7 else 0)


def mask_bank_account(value: str) -> str:
    """6230000011112222333 -> 6230***********2333 (a card of 16 or more digits); a shorter account
    keeps at most its last 4, never half, and one of 8 digits or fewer is starred whole."""
    if not value:
        return ""
    if len(value) >= 16:
        return _keep(value, 4, 4)
    return _keep(value, 0, min(4, (len(value) - 1) // 2) if len(value) > 8 else 0)


def mask_name(value: str) -> str:
    """王建国 -> 王**: the surname only, for lists handed outside and the public label page; a
    one-character name is starred whole."""
    if not value:
        return ""
    return _keep(value, 1, 0) if len(value) > 1 else _keep(value, 0, 0)
