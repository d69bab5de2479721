"""Scoping, tried as three people would: the county's own staff, the neighbouring county's, the city's.

Everything in Suide (610826) is visible to the Suide user and the Yulin city user, and reads as
"not found" to the Mizhi (610827) user — in every page, API endpoint and export.
"""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from accounts.tokens import issue
from audit.models import AuditEvent
from conftest import MIZHI_VILLAGE, add_household, make_id
from exchange.models import ExportJob
from exchange.services import start_export
from households import services
from households.idnumber import parse

PERSONAS = [("county_user", True), ("city_user", True), ("neighbour_user", False)]


@pytest.fixture
def archive(county_user, neighbour_user):
    suide = add_household(county_user)
    services.save_member(
        actor=county_user, household=suide, member=None, name="郝小平", relation="son", id_number=parse(make_id(seq=901))
    )
    mizhi = add_household(neighbour_user, head_id=make_id(seq=333, area="610827"), village=MIZHI_VILLAGE, name="艾米脂")
    return suide, mizhi


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> Client:
    token = issue(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.mark.parametrize("persona, sees", PERSONAS)
def test_pages(request, archive, persona, sees):
    user = request.getfixturevalue(persona)
    suide, _ = archive
    client = client_for(user)
    listing = client.get(reverse("households:list")).content.decode()
    assert ("郝建国" in listing) == sees
    member = suide.members.get()
    house = suide.houses.get()
    for url in [
        reverse("households:detail", args=[suide.pk]),
        reverse("households:member_edit", args=[suide.pk, member.pk]),
        reverse("households:house_edit", args=[suide.pk, house.pk]),
    ]:
        status = client.get(url).status_code
        assert status == (200 if sees else 404) or (status == 403 and persona == "city_user"), url
    by_id = client.post(reverse("households:list"), {"id_number": suide.head_id}).content.decode()
    assert ("郝建国" in by_id) == sees
    by_member_id = client.post(reverse("households:list"), {"id_number": make_id(seq=901)}).content.decode()
    assert ("郝建国" in by_member_id) == sees


@pytest.mark.parametrize("persona, sees", PERSONAS)
def test_writes_out_of_scope_read_as_not_found(request, archive, persona, sees):
    user = request.getfixturevalue(persona)
    suide, _ = archive
    client = client_for(user)
    reveal = client.post(reverse("households:reveal", args=[suide.pk]), {"field": "head_id", "reason": "核对"})
    delete = client.post(reverse("households:delete", args=[suide.pk]))
    if persona == "neighbour_user":
        assert reveal.status_code == 404 and delete.status_code == 404
    elif persona == "city_user":  # supervisors read but neither unmask nor edit
        assert reveal.status_code == 403 and delete.status_code == 403
    else:
        assert reveal.status_code == 200 and suide.head_id in reveal.content.decode()


@pytest.mark.parametrize("persona, sees", PERSONAS)
def test_api(request, archive, persona, sees):
    user = request.getfixturevalue(persona)
    suide, _ = archive
    api = api_for(user)
    names = [h["head_name"] for h in api.get("/api/households/").json()["results"]]
    assert ("郝建国" in names) == sees
    assert api.get(f"/api/households/{suide.pk}/").status_code == (200 if sees else 404)
    found = api.post("/api/households/lookup/", {"id_number": suide.head_id}, content_type="application/json").json()
    assert bool(found) == sees
    assert bool(api.get(f"/api/members/?household={suide.pk}").json()["results"]) == sees
    assert bool(api.get(f"/api/houses/?household={suide.pk}").json()["results"]) == sees
    assert api.get(f"/api/members/{suide.members.get().pk}/").status_code == (200 if sees else 404)
    assert api.get(f"/api/houses/{suide.houses.get().pk}/").status_code == (200 if sees else 404)
    detail = api.get(f"/api/households/{suide.pk}/")
    if sees:
        assert "*" in detail.json()["head_id"] and detail.json()["head_id"] != suide.head_id


@pytest.mark.parametrize("persona, sees", PERSONAS)
def test_export(request, archive, persona, sees, django_capture_on_commit_callbacks):
    user = request.getfixturevalue(persona)
    with django_capture_on_commit_callbacks(execute=True):
        job = start_export(user=user, params={})
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.message
    rows = CalamineWorkbook.from_path(job.file_path).get_sheet_by_index(0).to_python()
    names = [r[5] for r in rows[2:]]
    assert ("郝建国" in names) == sees
    assert ("艾米脂" in names) == (persona != "county_user")
    suide, _ = archive
    assert all(suide.head_id not in str(r) for r in rows)  # masked by default
    assert AuditEvent.objects.filter(verb="export.households", actor_id=user.pk).exists()
    # someone else's export job reads as not found
    other = client_for(request.getfixturevalue("county_user" if persona != "county_user" else "neighbour_user"))
    assert other.get(reverse("exchange:export_download", args=[job.pk])).status_code in (403, 404)
    assert client_for(user).get(reverse("exchange:export_download", args=[job.pk])).status_code == 200


def test_audit_search_is_scoped(archive, db):
    from accounts.roles import Role
    from conftest import make_user

    suide_auditor = make_user("sd_aud", "610826", Role.AUDITOR)
    mizhi_auditor = make_user("mz_aud", "610827", Role.AUDITOR)
    assert "郝建国" in client_for(suide_auditor).get(reverse("audit:search")).content.decode()
    assert "郝建国" not in client_for(mizhi_auditor).get(reverse("audit:search")).content.decode()
    # the auditor reads no archive
    assert client_for(suide_auditor).get(reverse("households:list")).status_code == 403


def test_unmasked_export_needs_reason_and_role(county_user, city_user, archive, django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(ValidationError):
        start_export(user=county_user, params={}, unmasked=True, reason="")
    with pytest.raises(PermissionDenied):
        start_export(user=city_user, params={}, unmasked=True, reason="核对")
    with django_capture_on_commit_callbacks(execute=True):
        job = start_export(user=county_user, params={}, unmasked=True, reason="发放补贴核对")
    job.refresh_from_db()
    suide, _ = archive
    assert suide.head_id in str(CalamineWorkbook.from_path(job.file_path).get_sheet_by_index(0).to_python())
    assert Path(job.file_path).exists()


def test_audit_export_is_scoped_and_only_for_auditors(archive, county_user, django_capture_on_commit_callbacks):
    from django.core.exceptions import PermissionDenied

    from accounts.roles import Role
    from conftest import make_user

    suide_auditor = make_user("sd_aud2", "610826", Role.AUDITOR)
    mizhi_auditor = make_user("mz_aud2", "610827", Role.AUDITOR)
    with pytest.raises(PermissionDenied):
        start_export(user=county_user, params={}, kind="audit")
    for auditor, sees in ((suide_auditor, True), (mizhi_auditor, False)):
        with django_capture_on_commit_callbacks(execute=True):
            job = start_export(user=auditor, params={"verb": "household"}, kind="audit")
        job.refresh_from_db()
        assert job.status == ExportJob.Status.DONE, job.message
        rows = CalamineWorkbook.from_path(job.file_path).get_sheet_by_index(0).to_python()
        assert ("郝建国户" in str(rows)) == sees
        assert job.filename.startswith("审计日志_")
    response = client_for(suide_auditor).post(reverse("exchange:export_new") + "?verb=household", {"kind": "audit"})
    assert response.status_code == 302


def test_user_management_and_import_jobs_are_scoped(county_user, neighbour_user, tmp_path, django_capture_on_commit_callbacks):
    from accounts.roles import Role
    from conftest import make_user
    from exchange.services import create_import_job

    suide_admin = make_user("sd_adm", "610826", Role.ADMIN)
    mizhi_admin = make_user("mz_adm", "610827", Role.ADMIN)
    assert "sd_county" in client_for(suide_admin).get(reverse("accounts:users")).content.decode()
    assert "sd_county" not in client_for(mizhi_admin).get(reverse("accounts:users")).content.decode()
    assert client_for(mizhi_admin).get(reverse("accounts:user_edit", args=[county_user.pk])).status_code == 404
    path = tmp_path / "a.csv"
    path.write_text("户主姓名,身份证号\n", encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        job = create_import_job(user=county_user, path=path, original_name="a.csv")
    assert client_for(county_user).get(reverse("exchange:import_detail", args=[job.pk])).status_code == 200
    assert client_for(neighbour_user).get(reverse("exchange:import_detail", args=[job.pk])).status_code == 404
