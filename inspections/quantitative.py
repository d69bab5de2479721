"""The older quantitative method (2009 guideline, after JGJ 125-99 §5.4; domain 6.2).

Used for old archives and as a second opinion: every intermediate number is returned so the form
can show how the grade came about. Ratios are Decimals (0.10 = 10 %), memberships are rounded to
four places for display only; the decision uses exact values.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

WEIGHTS = {"foundation": Fraction(3, 10), "superstructure": Fraction(6, 10), "enclosure": Fraction(1, 10)}
# Superstructure member kinds and their weights: columns, wall segments, main beams, roof trusses,
# secondary beams, slabs.
MEMBER_WEIGHTS = {
    "columns": Fraction(24, 10),
    "walls": Fraction(24, 10),
    "main_beams": Fraction(19, 10),
    "roof_trusses": Fraction(19, 10),
    "secondary_beams": Fraction(14, 10),
    "slabs": Fraction(1),
}
MEMBER_LABELS = {
    "columns": "柱",
    "walls": "墙段",
    "main_beams": "主梁",
    "roof_trusses": "屋架",
    "secondary_beams": "次梁",
    "slabs": "板",
}
PART_LABELS = {"foundation": "地基基础", "superstructure": "上部承重结构", "enclosure": "围护结构"}
_5, _30, _100 = Fraction(5, 100), Fraction(30, 100), Fraction(1)
THRESHOLD = Fraction(75, 100)


class QuantitativeError(ValueError):
    pass


def membership(p: Fraction) -> dict[str, Fraction]:
    """μa…μd of one part for its danger ratio p (0 ≤ p ≤ 1)."""
    if not 0 <= p <= 1:
        raise QuantitativeError("危险构件比例必须在 0 到 100% 之间")
    mu_a = Fraction(1) if p == 0 else Fraction(0)
    if p == 0:
        mu_b = Fraction(0)
    elif p <= _5:
        mu_b = Fraction(1)
    elif p < _30:
        mu_b = (_30 - p) / Fraction(25, 100)
    else:
        mu_b = Fraction(0)
    if p <= _5:
        mu_c = Fraction(0)
    elif p <= _30:
        mu_c = (p - _5) / Fraction(25, 100)
    else:
        mu_c = (_100 - p) / Fraction(70, 100)
    mu_d = Fraction(0) if p <= _30 else (p - _30) / Fraction(70, 100)
    return {"a": mu_a, "b": mu_b, "c": mu_c, "d": mu_d}


def ratio(dangerous: int, total: int, label: str) -> Fraction:
    if total < 0 or dangerous < 0:
        raise QuantitativeError(f"{label}的构件数不能为负数")
    if dangerous > total:
        raise QuantitativeError(f"{label}的危险构件数（{dangerous}）不能多于构件总数（{total}）")
    return Fraction(dangerous, total) if total else Fraction(0)


def superstructure_ratio(members: dict[str, tuple[int, int]]) -> Fraction:
    """members: kind -> (dangerous, total)."""
    for kind, (dangerous, total) in members.items():
        ratio(dangerous, total, MEMBER_LABELS.get(kind, kind))
    top = sum(MEMBER_WEIGHTS[k] * d for k, (d, _t) in members.items())
    bottom = sum(MEMBER_WEIGHTS[k] * t for k, (_d, t) in members.items())
    return Fraction(top) / bottom if bottom else Fraction(0)


@dataclass(frozen=True)
class Assessment:
    ratios: dict[str, Fraction]  # part -> danger ratio
    parts: dict[str, dict[str, Fraction]]  # part -> μa..μd
    house: dict[str, Fraction]  # μA..μD
    grade: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        """JSON-ready numbers for the stored appraisal and the form."""

        def num(x: Fraction) -> str:
            return str((Decimal(x.numerator) / Decimal(x.denominator)).quantize(Decimal("0.0001")))

        return {
            "ratios": {k: num(v) for k, v in self.ratios.items()},
            "parts": {k: {g: num(m) for g, m in mu.items()} for k, mu in self.parts.items()},
            "house": {g: num(m) for g, m in self.house.items()},
            "grade": self.grade,
            "reason": self.reason,
        }


def assess(foundation: Fraction, superstructure: Fraction, enclosure: Fraction) -> Assessment:
    ratios = {"foundation": foundation, "superstructure": superstructure, "enclosure": enclosure}
    parts = {part: membership(p) for part, p in ratios.items()}
    house = {g.upper(): max(min(WEIGHTS[part], parts[part][g]) for part in parts) for g in "abcd"}
    if parts["foundation"]["d"] >= THRESHOLD:
        return Assessment(ratios, parts, house, "D", "地基基础 μd ≥ 0.75")
    if parts["superstructure"]["d"] >= THRESHOLD:
        return Assessment(ratios, parts, house, "D", "上部承重结构 μd ≥ 0.75")
    best = max(house.values())
    grade = max(g for g, mu in house.items() if mu == best)  # on a tie, the worse grade
    return Assessment(ratios, parts, house, grade, f"隶属度最大为 μ{grade} = {float(best):.4f}")
