"""Issue 11, finding 2: a masked ID number cannot be rebuilt from everything else a payload shows."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from accounts.tokens import issue
from core.crypto import UNREADABLE
from core.masking import mask_bank_account, mask_id_number, mask_name, mask_phone
from exchange.household_export import iter_rows
from households.demo import generate
from households.idnumber import check_char
from households.models import Household, Member
from households.privacy import MASKED, WHOLE, age_from_year, disclosure


def api(user):
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Token {issue(user=user, name='test').key}")


def _all_pages(client, url):
    found, texts = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        texts.append(response.content.decode())
        body = response.json()
        found += body["results"]
        url = body["next"]
    return found, texts


def _candidates(masked: str, birth_year: int | None, age: int | None, birth_date: str | None) -> list[str]:
    """Every 18-digit number consistent with what was shown: area and sequence from the mask, the
    check character, the birth year (and the age counted from it), a birth date if one was shown."""
    area, seq, check = masked[:6], masked[14:17], masked[17]
    days = [dt.date.fromisoformat(birth_date)] if birth_date else []
    if not days and birth_year:
        day = dt.date(birth_year, 1, 1)
        while day.year == birth_year:
            days.append(day)
            day += dt.timedelta(days=1)
    found = []
    for day in days:
        if age is not None and age_from_year(day) != age:
            continue
        first17 = f"{area}{day:%Y%m%d}{seq}"
        if check_char(first17) == check:
            found.append(first17 + check)
    return found


@pytest.mark.django_db
def test_a_supervisor_cannot_rebuild_any_id_number_from_api_field_download_pages_and_export(client, city_user):
    generate(county="610826", count=40, seed=11)
    heads = {h.pk: h for h in Household.objects.all()}
    members = {m.pk: m for m in Member.objects.exclude(id_number_hash="")}
    assert len(members) > 20
    c = api(city_user)
    households, texts = _all_pages(c, "/api/households/?page_size=100")
    people, member_texts = _all_pages(c, "/api/members/?page_size=100")
    texts += member_texts
    texts += [c.get(f"/api/households/{pk}/").content.decode() for pk in list(heads)[:10]]
    texts += [c.get(f"/api/members/{pk}/").content.decode() for pk in list(members)[:10]]
    for village in {h.region_code for h in heads.values()}:
        texts.append(c.get(f"/api/field/households/?village={village}").content.decode())
    client.force_login(city_user)
    texts.append(client.get(reverse("households:list")).content.decode())
    texts += [client.get(reverse("households:detail", args=[pk])).content.decode() for pk in list(heads)[:10]]
    exported = list(iter_rows(Household.objects.visible_to(city_user), unmasked=False))
    texts.append(json.dumps(exported, ensure_ascii=False, default=str))

    shown = [(heads[h["id"]].head_id, h["head_id"], h["head_birth_year"], h["head_age"], h["head_birth_date"])
             for h in households]  # fmt: skip
    shown += [(members[p["id"]].id_number, p["id_number"], p["birth_year"], p["age"], p["birth_date"])
              for p in people if p["id"] in members]  # fmt: skip
    assert len(shown) == len(heads) + len(members)
    rebuilt, sizes = [], []
    for real, masked, year, age, born in shown:
        assert born is None
        options = _candidates(masked, year, age, born)
        assert real in options  # the reasoning above is the attacker's best, and it is sound
        sizes.append(len(options))
        if len(options) == 1:
            rebuilt.append(real)
    assert rebuilt == [] and min(sizes) > 5  # about 33 numbers fit each person (366 days / 11 check characters)
    everything = "\n".join(texts)
    for real, *_ in shown:  # the hidden digits appear nowhere, in no format
        born = dt.date(int(real[6:10]), int(real[10:12]), int(real[12:14]))
        for form in (real, real[6:14], born.isoformat(), f"{born.year}年{born.month}月{born.day}日"):
            assert form not in everything


def test_whole_numbers_only_for_a_role_that_may_unmask_and_asked(county_user, city_user):
    assert disclosure(city_user, whole=True) is MASKED  # a supervisor may not unmask
    assert disclosure(county_user) is MASKED  # nobody sees whole numbers without asking (an audited reveal)
    assert disclosure(county_user, whole=True) is WHOLE
    born = dt.date(1968, 5, 12)
    assert MASKED.birth(born) == {"birth_date": None, "birth_year": 1968, "age": dt.date.today().year - 1968}
    assert WHOLE.birth(born)["birth_date"] == "1968-05-12"
    assert MASKED.birth(None) == {"birth_date": None, "birth_year": None, "age": None}


def test_age_tells_nothing_beyond_the_year():
    """An age in full years would change on the birthday and give the day away to anyone who asks daily."""
    year = [dt.date(1968, 1, 1) + dt.timedelta(days=d) for d in range(366)]
    for today in (dt.date(2026, 1, 1), dt.date(2026, 5, 12), dt.date(2026, 12, 31)):
        assert {age_from_year(day, today) for day in year} == {2026 - 1968}


@pytest.mark.parametrize(
    "mask, value, expected",
    [
        (mask_id_number, "610826196805121234", "610826********1234"),
        (mask_id_number, "610826680512123", "610826******123"),  # 15 digits: the 6-digit birth date hidden
        (mask_id_number, "1234567890", "12******90"),
        (mask_id_number, "12", "**"),
        (mask_id_number, "1", "*"),
        (mask_phone, "13812345678", "138****5678"),
        (mask_phone, "1381234567", "******4567"),
        (mask_phone, "1234567", "****567"),  # seven digits: before, all seven were shown
        (mask_phone, "12", "**"),
        (mask_bank_account, "6230000011112222333", "6230***********2333"),
        (mask_bank_account, "623000001", "*****0001"),  # nine digits: before, eight were shown
        (mask_bank_account, "1234", "****"),
        (mask_name, "王建国", "王**"),
        (mask_name, "王", "*"),  # a one-character name: before, shown whole
    ],
)
def test_masks_of_short_and_usual_values(mask, value, expected):
    assert mask(value) == expected


@pytest.mark.parametrize("mask", [mask_id_number, mask_phone, mask_bank_account, mask_name])
def test_masks_of_empty_and_unreadable_values(mask):
    assert mask("") == ""
    assert mask(UNREADABLE) == "无法解密"


@given(st.text(alphabet="0123456789X", min_size=1, max_size=30))
def test_a_mask_never_shows_a_short_value_or_half_of_it(value):
    for mask in (mask_id_number, mask_phone, mask_bank_account):
        shown = mask(value)
        assert len(shown) == len(value)
        visible = sum(1 for ch in shown if ch != "*")
        assert shown != value
        if len(value) < 11:
            assert visible * 2 < len(value) or visible == 0
