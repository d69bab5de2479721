import datetime as dt

from accounts.tokens import issue
from conftest import PASSWORD, SUIDE_VILLAGE, make_id


def api(user):
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Token {issue(user=user, name='test').key}")


def test_token_login_uses_lockout_rules(client, county_user):
    ok = client.post("/api/auth/token/", {"username": "sd_county", "password": PASSWORD})
    assert ok.status_code == 200 and ok.json()["token"]
    bad = client.post("/api/auth/token/", {"username": "sd_county", "password": "nope"})
    assert bad.status_code == 401 and "用户名或密码错误" in bad.json()["detail"]


def test_create_update_conflict_and_delete(county_user):
    c = api(county_user)
    body = {
        "village_code": SUIDE_VILLAGE,
        "head_name": "霍永旺",
        "head_id": make_id(seq=11),
        "family_size": 2,
        "phone": "13800001111",
        "categories": ["minimum_income"],
        "dwelling": {"structure_type": "cave_earth", "year_built": 1978},
    }
    created = c.post("/api/households/", body, content_type="application/json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["categories"] == ["minimum_income"] and data["phone"] == "138****1111"
    pk, version = data["id"], data["version"]
    update = {**body, "family_size": 3, "version": version}
    assert c.put(f"/api/households/{pk}/", update, content_type="application/json").status_code == 200
    stale = c.put(f"/api/households/{pk}/", {**update, "family_size": 4}, content_type="application/json")
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    no_version = c.put(f"/api/households/{pk}/", body, content_type="application/json")
    assert no_version.status_code == 400
    assert c.delete(f"/api/households/{pk}/").status_code == 204


def test_bad_id_number_is_explained_in_chinese(county_user):
    body = {"village_code": SUIDE_VILLAGE, "head_name": "霍永旺", "head_id": make_id(seq=11)[:-1] + "0", "family_size": 2}
    if body["head_id"] == make_id(seq=11):
        body["head_id"] = make_id(seq=11)[:-1] + "1"
    response = api(county_user).post("/api/households/", body, content_type="application/json")
    assert response.status_code == 400 and "校验位" in response.json()["head_id"][0]


def test_filters_and_pagination(county_user):
    from households.demo import generate

    generate(county="610826", count=60, seed=3)
    c = api(county_user)
    page = c.get("/api/households/?page_size=10").json()
    assert page["count"] == 60 and len(page["results"]) == 10 and page["next"]
    general = c.get("/api/households/?category=general&page_size=100").json()
    assert 0 < general["count"] < 60
    caves = c.get("/api/households/?structure_type=cave_stone&page_size=100").json()
    assert all(h["region_code"].startswith("610826") for h in caves["results"])


def test_openapi_document_is_served(client, county_user):
    client.force_login(county_user)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/households/lookup/" in schema.content
    assert client.get("/api/docs/").status_code == 200


def test_regions_api(county_user):
    c = api(county_user)
    towns = c.get("/api/regions/?parent=610826&page_size=100").json()
    assert towns["count"] == 15 and towns["results"][0]["name"] == "名州镇"
    assert c.get("/api/regions/?q=绥德").json()["results"][0]["code"] == "610826"


def test_lookup_by_id_number_finds_heads_then_members(county_user, neighbour_user):
    from conftest import add_household
    from households.models import Member
    from households.services import save_member
    from households.validation import id_number

    household = add_household(county_user)
    member_id = make_id(seq=77, born=dt.date(1995, 3, 1))
    save_member(actor=county_user, household=household, member=None, name="郝小军", relation="son",
                id_number=id_number(member_id), version=None)  # fmt: skip
    c = api(county_user)

    def lookup(client, number):
        response = client.post("/api/households/lookup/", {"id_number": number}, content_type="application/json")
        assert response.status_code == 200
        return response.json()

    found = lookup(c, " " + household.head_id.lower() + " ")  # spaces and a lower-case x are forgiven
    assert [h["id"] for h in found] == [household.pk] and found[0]["categories"] == ["minimum_income"]
    assert "*" in found[0]["head_id"]
    assert [h["id"] for h in lookup(c, member_id)] == [household.pk]  # a member's number finds the household
    assert lookup(c, make_id(seq=99)) == []
    assert lookup(api(neighbour_user), household.head_id) == []  # outside the user's county: nothing
    assert Member.objects.filter(household=household).count() == 1
