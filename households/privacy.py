"""What a payload shows of a person: the one place that decides it (docs/adr/0019).

A masked ID number (610826********1234) hides exactly the eight digits of the birth date, and sex is
the parity of its 17th digit, which the mask shows. So wherever a number is masked, the birth date is
masked with it: only the birth year and the age counted from it (this year minus that year, which
gives nothing more than the year: an age in full years would narrow the day, and reveal it the day it
changes). The whole birth date goes only with the whole number, that is after an audited reveal or in
an export with full numbers, which only a role with Cap.UNMASK may ask for and which is audited with
its reason.

| who | ID number | phone | bank account | birth date | sex | age |
|---|---|---|---|---|---|---|
| any role seeing the archive (pages, API, field download, exports, PDFs) | 6 + 4 | 3 + 4 | 4 + 4 | year | yes | by year |
| Cap.UNMASK (county, town staff): after a reveal, in a full-number export | whole | whole | whole | whole | yes | by year |

Lists handed outside (the public disclosure list, labels) also mask names (core.masking.mask_name).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from accounts.roles import Cap
from core.masking import mask_bank_account, mask_id_number, mask_phone


@dataclass(frozen=True)
class Disclosure:
    whole: bool = False  # the full numbers and birth date

    def id_number(self, value: str) -> str:
        return value if self.whole else mask_id_number(value)

    def phone(self, value: str) -> str:
        return value if self.whole else mask_phone(value)

    def bank_account(self, value: str) -> str:
        return value if self.whole else mask_bank_account(value)

    def birth_date(self, born: dt.date | None) -> str | None:
        return born.isoformat() if self.whole and born else None

    def birth(self, born: dt.date | None, prefix: str = "") -> dict[str, Any]:
        """The birth fields of a payload: `birth_date` (None unless whole), `birth_year`, `age`."""
        return {
            f"{prefix}birth_date": self.birth_date(born),
            f"{prefix}birth_year": born.year if born else None,
            f"{prefix}age": age_from_year(born),
        }


MASKED = Disclosure()
WHOLE = Disclosure(whole=True)


def age_from_year(born: dt.date | None, today: dt.date | None = None) -> int | None:
    """The age as this year minus the birth year: it tells nothing the birth year does not."""
    if born is None:
        return None
    return (today or dt.date.today()).year - born.year


def disclosure(user: Any, *, whole: bool = False) -> Disclosure:
    """What `user` sees: masked, unless the whole numbers were asked for (an audited reveal or a
    full-number export) and the user's role may unmask."""
    return WHOLE if whole and user is not None and user.can(Cap.UNMASK) else MASKED
