"""Finding the village a spreadsheet row means, without ever guessing (ADR 0029).

A village is found by its 12-digit code, by its official name, or by a short name, within the town
the row gives (or, when it gives none, the one town the file's title or sheet names). The short
names of a 村 (X村, X村委会, X村民委员会) never reach a 社区 and those of a 社区 (X社区, X居委会,
X社区居委会, X居民委员会) never reach a 村; a bare X reaches whatever has that base. A name that fits
two or more villages is refused with every candidate named. The county's own aliases and the names
and codes of earlier region editions (RegionAlias) are accepted with a note the import shows.

`VillageMatcher(prefix)` reads every town and village under the user's region once and answers
`resolve()` from dictionaries; the import memoizes it per distinct cell.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from households.validation import FieldError
from regions.models import Level, Region

MAX_NAMED = 5  # candidates named in a refusal before "等 N 个"
CODE_LENGTH = 12

# Rank of a way of writing a name; the lowest present in the search area decides. A county alias is
# the county's own decision; an official name, a short name and a former name weigh the same (an
# official “东街社区” and the “东街社区” of a “东街社区居委会” are both meant by clerks), so two of them refuse.
COUNTY_ALIAS, OFFICIAL, SHORT = 0, 1, 1

VILLAGE, COMMUNITY, OTHER = "村", "社区", ""
VILLAGE_SUFFIXES = ("村民委员会", "村委会", "村")
COMMUNITY_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "居委会", "社区")
# How official names end, misspellings of the list included (“…社区居委会会”, “…社区委会”, “…村民委委会”).
_COMMUNITY_END = re.compile(r"(.+?)(社区[居民委员会]*|居民?委员?会)")
_VILLAGE_END = re.compile(r"(.+?)(村[民委员会]*?委[委员]*会+|村)")
TOWN_SUFFIXES = {"镇": ("镇",), "乡": ("乡",), "街道": ("街道", "街道办事处", "办事处")}
_TOWN_ALL = sorted(((s, kind) for kind, forms in TOWN_SUFFIXES.items() for s in forms), key=lambda p: -len(p[0]))
MIN_CONTEXT_BASE = 2  # a town's bare name counts in a title only from two characters on


def normalise(raw: object) -> str:
    """NFKC (full-width to half-width), no spaces at all; Excel's floats of whole numbers lose “.0”."""
    if raw is None:
        return ""
    if isinstance(raw, float):
        if raw != raw:
            return ""
        if raw.is_integer():
            return str(int(raw))
    return "".join(unicodedata.normalize("NFKC", str(raw)).split())


def split_village(name: str) -> tuple[str, str]:
    """An official village name as (base, kind): “龙湾社区居委会” → (“龙湾”, 社区), “龙湾村委会” → (“龙湾”, 村)."""
    for pattern, kind in ((_COMMUNITY_END, COMMUNITY), (_VILLAGE_END, VILLAGE)):
        found = pattern.fullmatch(name)
        if found:
            return found.group(1), kind
    return name, OTHER


def village_forms(name: str) -> set[str]:
    """Every short way of writing an official village name (the name itself excluded): its kind's
    suffixes on its base, and the bare base unless that base itself reads as the other kind
    (“丰禾村社区居委会” is not reached by “丰禾村”)."""
    base, kind = split_village(name)
    if kind == OTHER:
        return set()
    own, other = (VILLAGE_SUFFIXES, COMMUNITY_SUFFIXES) if kind == VILLAGE else (COMMUNITY_SUFFIXES, VILLAGE_SUFFIXES)
    forms = {base + s for s in own}
    if not base.endswith(other):
        forms.add(base)
    forms.discard(name)
    return forms


def split_town(name: str) -> tuple[str, str]:
    for suffix, kind in _TOWN_ALL:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], kind
    return name, ""


def town_forms(name: str) -> set[str]:
    """名州镇 → {名州}; 某某街道 → {某某, 某某街道办事处, 某某办事处}; 乡 stays 乡 and 镇 stays 镇."""
    base, kind = split_town(name)
    if not kind:
        return set()
    forms = {base + s for s in TOWN_SUFFIXES[kind]} | {base}
    forms.discard(name)
    return forms


@dataclass(frozen=True)
class Match:
    code: str
    note: str = ""


class MatchError(FieldError):
    """A row's village refused: field is "village_code", "town" or "village"; the message is Chinese."""


@dataclass(frozen=True)
class _Entry:
    code: str
    rank: int
    note: str = ""  # said when this entry decides (an alias or a former name)


@dataclass
class _Found:
    entries: list[_Entry] = field(default_factory=list)

    def best(self) -> list[_Entry]:
        """The entries of the best rank, one per village."""
        if not self.entries:
            return []
        rank = min(e.rank for e in self.entries)
        seen: dict[str, _Entry] = {}
        for e in self.entries:
            if e.rank == rank and e.code not in seen:
                seen[e.code] = e
        return list(seen.values())


class VillageMatcher:
    """The villages and towns under one region, read once, and the rules that find one of them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        town_prefix = prefix[:9] if len(prefix) > 9 else prefix
        self.town_names: dict[str, str] = {}
        self.village_names: dict[str, str] = {}
        self.retired: dict[str, str] = {}  # inactive village codes in scope -> name
        self.towns: dict[str, list[_Entry]] = {}
        self.villages: dict[str, list[_Entry]] = {}
        self._context_forms: list[tuple[str, str]] = []  # names of towns that a title may hold
        towns = Region.objects.under(town_prefix).filter(level=Level.TOWN, is_active=True).values_list("code", "name")
        for code, name in towns.iterator(chunk_size=5000):
            official = normalise(name)
            self.town_names[code] = name
            self._add(self.towns, official, _Entry(code, OFFICIAL))
            for form in town_forms(official):
                self._add(self.towns, form, _Entry(code, SHORT))
            base, kind = split_town(official)
            self._context_forms.append((official, code))
            if kind and len(base) >= MIN_CONTEXT_BASE:
                self._context_forms.append((base, code))
        villages = Region.objects.under(prefix).filter(level=Level.VILLAGE).values_list("code", "name", "is_active")
        for code, name, active in villages.iterator(chunk_size=5000):
            if not active:
                self.retired[code] = name
                continue
            official = normalise(name)
            self.village_names[code] = name
            self._add(self.villages, official, _Entry(code, OFFICIAL))
            for form in village_forms(official):
                self._add(self.villages, form, _Entry(code, SHORT))
        self.old_codes: dict[str, tuple[str, str]] = {}  # a former code -> (its village now, note)
        self._load_aliases()
        self._contexts: dict[str, str | None] = {}

    @staticmethod
    def _add(table: dict[str, list[_Entry]], text: str, entry: _Entry) -> None:
        if text:
            table.setdefault(text, []).append(entry)

    def _load_aliases(self) -> None:
        from regions.models import AliasKind, RegionAlias

        county = self.prefix[:6]
        aliases = RegionAlias.objects.filter(is_active=True, target__is_active=True).select_related("target")
        aliases = aliases.filter(county__startswith=county) if county else aliases
        for alias in aliases:
            target = alias.target_id
            if target not in self.village_names:
                continue  # a village of the county outside this user's town
            now = self.village_names[target]
            if alias.kind == AliasKind.COUNTY:
                note = _("“%(alias)s”按本县别名对应到“%(name)s”") % {"alias": alias.alias, "name": now}
                self._add(self.villages, alias.alias, _Entry(target, COUNTY_ALIAS, note))
            elif alias.kind == AliasKind.HISTORICAL_NAME:
                note = _("“%(alias)s”为区划 %(edition)s 版名称，现为“%(name)s”") % {
                    "alias": alias.alias,
                    "edition": alias.edition,
                    "name": now,
                }
                for form in {alias.alias, *village_forms(alias.alias)}:
                    self._add(self.villages, form, _Entry(target, SHORT, note))
            else:
                note = _("村区划代码“%(old)s”为区划 %(edition)s 版代码，现为“%(name)s”（%(code)s）") % {
                    "old": alias.alias,
                    "edition": alias.edition,
                    "name": now,
                    "code": target,
                }
                self.old_codes[alias.alias] = (target, note)

    # --- naming candidates ----------------------------------------------------------------------

    def label(self, code: str) -> str:
        """名州镇五一村委会（610826100201）"""
        return f"{self.town_names.get(code[:9], '')}{self.village_names.get(code, '')}（{code}）"

    def _listing(self, codes: Iterable[str], label: Callable[[str], str] | None = None) -> str:
        ordered = sorted(set(codes))
        show = label or self.label
        named = "、".join(show(c) for c in ordered[:MAX_NAMED])
        if len(ordered) > MAX_NAMED:
            named += _(" 等 %(n)d 个") % {"n": len(ordered)}
        return named

    def _town_label(self, code: str) -> str:
        return f"{self.town_names.get(code, '')}（{code}）"

    # --- towns ------------------------------------------------------------------------------------

    def find_town(self, raw: object) -> str | None:
        """The town a row names (official or short name, or its 9-digit code), or None when it names none."""
        text = normalise(raw)
        if not text:
            return None
        if text.isdigit() and len(text) == 9:
            if text in self.town_names:
                return text
            raise MatchError("town", _("乡镇代码“%(code)s”不存在或不在您的管辖范围内") % {"code": text})
        codes = [e.code for e in _Found(self.towns.get(text, [])).best()]
        if len(codes) == 1:
            return codes[0]
        if codes:
            raise MatchError(
                "town",
                _("“%(name)s”对应多个乡镇：%(list)s，请填写乡镇全称")
                % {"name": text, "list": self._listing(codes, self._town_label)},
            )
        raise MatchError("town", _("找不到乡镇“%(name)s”（或不在您的管辖范围内）") % {"name": text})

    def town_in_context(self, context: str) -> str | None:
        """The one town of the scope that a file title or sheet name names; None for none or several."""
        text = normalise(context)
        if not text:
            return None
        if text not in self._contexts:
            found = {code for form, code in self._context_forms if form in text}
            self._contexts[text] = found.pop() if len(found) == 1 else None
        return self._contexts[text]

    # --- villages ---------------------------------------------------------------------------------

    def _in(self, text: str, area: str) -> list[_Entry]:
        return _Found([e for e in self.villages.get(text, []) if e.code.startswith(area)]).best()

    def _anywhere(self, text: str) -> list[str]:
        return sorted({e.code for e in self.villages.get(text, [])})

    def _decide(self, text: str, entries: list[_Entry], where: str) -> Match:
        if len(entries) == 1:
            return Match(entries[0].code, entries[0].note)
        raise MatchError(
            "village",
            _("“%(name)s”%(where)s对应多个村：%(list)s，请填写乡镇或村区划代码")
            % {"name": text, "where": where, "list": self._listing(e.code for e in entries)},
        )

    def _town_prefixed(self, text: str) -> list[tuple[str, list[_Entry]]]:
        """“名州镇五一村” / “名州五一村”: each town the name starts with, and what the rest finds in it."""
        found = []
        for cut in range(len(text) - 1, 0, -1):
            for t in {e.code for e in _Found(self.towns.get(text[:cut], [])).best()}:
                entries = self._in(text[cut:], t)
                if entries:
                    found.append((t, entries))
        return found

    def resolve(self, code: object, town: object, village: object, *, context: str = "") -> Match:
        """The village a row means, or MatchError saying why none can be chosen."""
        code_text = normalise(code)
        text = normalise(village)
        if code_text:
            return self._by_code(code_text, normalise(town), text)
        town_code = self.find_town(town)
        if not text:
            raise MatchError("village", _("请填写村区划代码，或填写乡镇和村名称"))
        if town_code:
            entries = self._in(text, town_code)
            if entries:
                return self._decide(text, entries, _("在%(town)s") % {"town": self.town_names[town_code]})
            prefixed = self._town_prefixed(text)
            mine = [e for t, entries in prefixed if t == town_code for e in entries]
            if mine:
                return self._decide(text, _Found(mine).best(), "")
            if prefixed:
                raise MatchError(
                    "village",
                    _("村名“%(name)s”中的乡镇（%(towns)s）与所填乡镇“%(town)s”不一致")
                    % {
                        "name": text,
                        "towns": "、".join(self.town_names[t] for t, _e in prefixed),
                        "town": self.town_names[town_code],
                    },
                )
            raise self._not_found(text, town_code)
        entries = self._in(text, self.prefix)
        prefixed = [] if entries else self._town_prefixed(text)
        if prefixed:
            if len(prefixed) == 1:
                return self._decide(text, prefixed[0][1], "")
            codes = {e.code for _t, es in prefixed for e in es}
            raise MatchError(
                "village",
                _("“%(name)s”对应多个村：%(list)s，请填写乡镇或村区划代码") % {"name": text, "list": self._listing(codes)},
            )
        from_context = self.town_in_context(context)
        if from_context:
            here = self._in(text, from_context)
            if here:
                match = self._decide(text, here, _("在%(town)s") % {"town": self.town_names[from_context]})
                if len(entries) > 1:  # the title decided between villages of several towns: say so
                    decided = _("乡镇按文件标题或工作表名“%(context)s”取“%(town)s”") % {
                        "context": context,
                        "town": self.town_names[from_context],
                    }
                    return Match(match.code, "；".join(n for n in (match.note, decided) if n))
                return match
            if entries:
                raise MatchError(
                    "village",
                    _("文件标题或工作表名指明“%(town)s”，但“%(name)s”不在该乡镇：%(list)s，请填写乡镇")
                    % {"town": self.town_names[from_context], "name": text, "list": self._listing(e.code for e in entries)},
                )
        if entries:
            return self._decide(text, entries, "")
        raise self._not_found(text, None)

    def _not_found(self, text: str, town: str | None) -> MatchError:
        where = _("在“%(town)s”下") % {"town": self.town_names[town]} if town else ""
        base, kind = split_village(text)
        hint = ""
        if kind:  # the same base as the other kind: named, never taken
            others = [c for c in self._anywhere(base) if not town or c.startswith(town)]
            if others:
                hint = _("；同名的有：%(list)s") % {"list": self._listing(others)}
        elsewhere = "" if not town else self._listing(self._anywhere(text))
        if elsewhere and not hint:
            hint = _("；其他乡镇有：%(list)s") % {"list": elsewhere}
        return MatchError(
            "village",
            _("%(where)s找不到村“%(name)s”（或不在您的管辖范围内）%(hint)s") % {"where": where, "name": text, "hint": hint},
        )

    def _by_code(self, code: str, town: str, text: str) -> Match:
        if not (code.isdigit() and len(code) == CODE_LENGTH):
            raise MatchError("village_code", _("村区划代码“%(code)s”应为 12 位数字") % {"code": code})
        if code in self.village_names:
            match = Match(code)
        elif code in self.old_codes:
            match = Match(*self.old_codes[code])
        elif code in self.retired:
            raise MatchError(
                "village_code",
                _("村区划代码“%(code)s”（%(name)s）已撤销，请填写现行代码") % {"code": code, "name": self.retired[code]},
            )
        else:
            raise MatchError("village_code", _("村区划代码“%(code)s”不存在或不在您的管辖范围内") % {"code": code})
        own = match.code[:9]
        own_name = normalise(self.town_names.get(own, ""))
        if town and town not in {own, own_name, *town_forms(own_name)}:
            raise MatchError(
                "town",
                _("村区划代码“%(code)s”属于%(own)s，与所填乡镇“%(town)s”不一致")
                % {"code": code, "own": self.town_names.get(own, ""), "town": town},
            )
        if text and match.code not in {e.code for e in self.villages.get(text, [])} and not self._prefixed_fits(text, match.code):
            raise MatchError(
                "village",
                _("村区划代码“%(code)s”是“%(name)s”，与所填村名“%(text)s”不符，请核对")
                % {"code": code, "name": self.village_names[match.code], "text": text},
            )
        return match

    def _prefixed_fits(self, text: str, code: str) -> bool:
        return any(code in {e.code for e in entries} for _t, entries in self._town_prefixed(text))
