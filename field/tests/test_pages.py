from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from conftest import PASSWORD
from field import sync
from field.models import Conflict, EvidenceFlag
from field.tests.test_sync import payload
from households.services import save_house


def test_town_reviews_flags_and_resolves_conflicts_on_its_pages(
    town_user: Any, village_user: Any, county_user: Any, household: Any
) -> None:
    house = household.houses.get()
    p = payload(household, gps={"latitude": "37.600000", "longitude": "110.250000"}, house_changes={"storeys": 2})
    save_house(actor=county_user, household=household, house=house, values={"storeys": 1}, version=house.version)
    sync.sync_record(actor=village_user, payload=p)  # the village's field work, reviewed by the town
    client = Client()
    assert client.login(username="sd_town", password=PASSWORD)
    page = client.get("/field/flags/").content.decode()
    assert "定位远离房屋登记位置" in page and "郝建国" in page
    flag = EvidenceFlag.objects.get()
    empty = client.post("/field/flags/", {"flag": flag.pk, "status": "dismissed", "note": ""}, follow=True)
    assert "请填写核查意见" in empty.content.decode()
    client.post("/field/flags/", {"flag": flag.pk, "status": "dismissed", "note": "农户在外地务工，照片由村干部补拍"})
    flag.refresh_from_db()
    assert flag.status == "dismissed" and flag.reviewed_by == town_user
    page = client.get("/field/conflicts/").content.decode()
    assert "现场版本" in page and "房屋信息在您下载后已被修改" in page
    conflict = Conflict.objects.get()
    client.post("/field/conflicts/", {"conflict": conflict.pk, "keep": "kept_field", "note": "以现场为准"})
    house.refresh_from_db()
    assert house.storeys == 2 and Conflict.objects.get().status == "kept_field"


def test_neighbour_county_sees_none_of_it(town_user: Any, neighbour_user: Any, household: Any) -> None:
    sync.sync_record(actor=town_user, payload=payload(household, gps={"latitude": "37.600000", "longitude": "110.25"}))
    client = Client()
    assert client.login(username="mz_county", password=PASSWORD)
    assert "郝建国" not in client.get("/field/flags/?status=all").content.decode()
    flag = EvidenceFlag.objects.get()
    assert client.post("/field/flags/", {"flag": flag.pk, "status": "confirmed", "note": "x"}).status_code == 404


def test_the_shell_is_public_and_installable(client: Any) -> None:
    assert client.get("/field/").status_code == 200
    sw = client.get("/field/sw.js")
    assert sw["Content-Type"].startswith("application/javascript") and "/static/field/app.js" in sw.content.decode()
    assert client.get("/field/manifest.webmanifest").json()["display"] == "standalone"


def test_demo_examples_go_through_the_sync(town_user: Any, county_user: Any) -> None:
    from conftest import add_household, make_id
    from field.demo import generate
    from households.models import House

    for n in range(5):
        add_household(county_user, head_id=make_id(seq=600 + n))
    House.objects.update(latitude=Decimal("37.5"), longitude=Decimal("110.25"))
    assert generate() == 5
    assert sorted(EvidenceFlag.objects.values_list("kind", flat=True)) == ["far", "future", "mock_location", "out_of_order"]
    assert Conflict.objects.count() == 1 and generate() == 0
