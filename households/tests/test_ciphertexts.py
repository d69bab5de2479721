"""Issue 11, finding 11: a ciphertext is bound to its row and field; a bad one reads as 无法解密
everywhere and breaks nothing; keys rotate."""

import base64
import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.tokens import issue
from audit.models import AuditEvent
from conftest import SUIDE_VILLAGE, add_household, make_id
from core import crypto
from core.crypto import UNREADABLE
from core.tests.test_crypto import KEY_2, v1_encrypt
from exchange.household_export import iter_rows
from households import services
from households.idnumber import parse
from households.models import Household, Member
from training.models import Trainee


def api(user):
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Token {issue(user=user, name='test').key}")


def _store(model, pk, **columns):
    """Write ciphertext columns behind the application's back, as a tampering database user would."""
    model.objects.filter(pk=pk).update(**columns)


@pytest.fixture
def three(county_user):
    """Three households of one village, the second with a member."""
    a = add_household(head_id=make_id(seq=101), name="甲户主", phone="13900000001")
    b = add_household(head_id=make_id(seq=102), name="乙户主", phone="13900000002", bank_account="6230000011112222333")
    c = add_household(head_id=make_id(seq=103), name="丙户主", phone="13900000003")
    services.save_member(actor=county_user, household=b, member=None, name="乙成员", relation="son",
                         id_number=parse(make_id(dt.date(1990, 3, 4), seq=105)))  # fmt: skip
    return a, b, c


def _tamper(a, b, c):
    """b's head ID: one byte flipped; c's phone: a's ciphertext copied over (which, unbound, would show a's number)."""
    blob = bytearray(Household.objects.values_list("head_id_enc", flat=True).get(pk=b.pk))
    blob[-1] ^= 0x01
    _store(Household, b.pk, head_id_enc=bytes(blob))
    _store(Household, c.pk, phone_enc=Household.objects.values_list("phone_enc", flat=True).get(pk=a.pk))


def test_values_made_by_every_write_path_open_only_in_their_own_row(county_user, three):
    a, b, _c = three
    member = b.members.get()
    trainee = Trainee(region_code="610826000000", name="张三", kind="craftsman")
    trainee.id_number = make_id(seq=107)
    trainee.save()
    for obj, field in ((a, "head_id"), (a, "phone"), (b, "bank_account"), (member, "id_number"), (trainee, "id_number")):
        fresh = type(obj).objects.get(pk=obj.pk)
        secret = getattr(type(obj), field)
        blob = bytes(getattr(fresh, f"{field}_enc"))
        assert blob[:2] == b"\x02\x01" and getattr(fresh, field) not in ("", UNREADABLE)
        assert secret.read(blob, obj.pk + 1000) == UNREADABLE  # the same bytes in another row do not open


def test_a_corrupt_or_moved_ciphertext_shows_unreadable_and_breaks_nothing(client, county_user, three):
    a, b, c = three
    _tamper(a, b, c)
    assert Household.objects.get(pk=c.pk).phone == UNREADABLE  # not a's number
    assert Household.objects.get(pk=b.pk).head_id == UNREADABLE
    client.force_login(county_user)
    listing = client.get(reverse("households:list"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "无法解密" in page and "甲户主" in page and "丙户主" in page
    for h in (b, c):
        detail = client.get(reverse("households:detail", args=[h.pk]))
        assert detail.status_code == 200 and "无法解密" in detail.content.decode()
    revealed = client.post(reverse("households:reveal", args=[c.pk]), {"field": "phone", "reason": "核实"})
    shown = revealed.content.decode()
    assert revealed.status_code == 200 and "无法解密" in shown and "13900000001" not in shown
    c_api = api(county_user)
    results = c_api.get("/api/households/?page_size=50").json()["results"]
    by_id = {r["id"]: r for r in results}
    assert by_id[b.pk]["head_id"] == "无法解密" and by_id[c.pk]["phone"] == "无法解密"
    assert by_id[a.pk]["phone"] == "139****0001"
    assert c_api.get(f"/api/households/{c.pk}/").json()["phone"] == "无法解密"
    field = c_api.get(f"/api/field/households/?village={SUIDE_VILLAGE}")
    assert field.status_code == 200 and len(field.json()["households"]) == 3
    for unmasked in (False, True):
        rows = {r[5]: r for r in iter_rows(Household.objects.all(), unmasked=unmasked)}
        assert rows["乙户主"][6] == "无法解密" and rows["丙户主"][7] == "无法解密"
        assert rows["甲户主"][7] == ("13900000001" if unmasked else "139****0001")


def test_an_unreadable_value_is_never_written_back(county_user, three):
    _a, b, _c = three
    blob = bytearray(Household.objects.values_list("bank_account_enc", flat=True).get(pk=b.pk))
    blob[5] ^= 0xFF
    _store(Household, b.pk, bank_account_enc=bytes(blob))
    household = Household.objects.get(pk=b.pk)
    with pytest.raises(ValueError):
        household.bank_account = household.bank_account


def test_a_row_written_without_sealing_its_secrets_fails_loudly(db):
    member = Member(region_code="610826100201", name="x", relation="son", household_id=1)
    member.id_number = make_id(seq=109)
    with pytest.raises(Exception):  # noqa: B017 - the driver's own error: the value is not bytes
        Member.objects.bulk_create([member])


@pytest.fixture
def key_2(settings):
    settings.ANJU_FIELD_KEYS = f"2:{KEY_2}"
    settings.ANJU_FIELD_KEY_ID = 2
    crypto.reset_keys()
    yield
    settings.ANJU_FIELD_KEYS = ""
    settings.ANJU_FIELD_KEY_ID = 0
    crypto.reset_keys()


def _blobs():
    rows = []
    for model, columns in ((Household, ("head_id_enc", "phone_enc", "bank_account_enc")), (Member, ("id_number_enc",))):
        for row in model.objects.order_by("pk").values_list("pk", *columns):
            rows += [(model, row[0], bytes(b)) for b in row[1:] if b]
    return rows


def test_rotation_re_encrypts_v1_and_old_key_values_in_batches(county_user, three, key_2, settings, capsys):
    a = three[0]
    before = {h.pk: (h.head_id, h.phone, h.bank_account, h.head_id_hash) for h in Household.objects.all()}
    member_before = Member.objects.get().id_number
    _store(Household, a.pk, phone_enc=v1_encrypt("13900000001"))  # written before version 2
    with pytest.raises(CommandError, match="未按当前密钥"):
        call_command("rotate_field_key", "--check")
    call_command("rotate_field_key", "--batch", "2")
    out = capsys.readouterr().out
    assert "households.Household：3 行；重新加密 7" in out and "已处理 2 行" in out
    assert all(blob[:2] == b"\x02\x02" for _m, _pk, blob in _blobs())
    after = {h.pk: (h.head_id, h.phone, h.bank_account, h.head_id_hash) for h in Household.objects.all()}
    assert after == before and Member.objects.get().id_number == member_before  # values and blind indexes unchanged
    event = AuditEvent.objects.filter(verb="crypto.rotate_field_key").get()
    assert event.after["rewritten"] == 8 and event.after["key_id"] == 2
    call_command("rotate_field_key")  # a second run finds nothing to do (a stopped run resumes this way)
    assert "重新加密 0" in capsys.readouterr().out
    call_command("rotate_field_key", "--check")
    settings.ANJU_FIELD_ACCEPT_V1 = False
    assert Household.objects.get(pk=a.pk).phone == "13900000001"


def test_rotation_leaves_unreadable_values_and_reports_them(county_user, three, key_2, capsys):
    a, b, c = three
    _tamper(a, b, c)
    with pytest.raises(CommandError, match="2 个密文无法解密"):
        call_command("rotate_field_key")
    out = capsys.readouterr().out
    assert f"households_household.head_id 主键 {b.pk}" in out and f"households_household.phone 主键 {c.pk}" in out
    assert Household.objects.get(pk=b.pk).head_id == UNREADABLE  # left as it was, not "repaired" into a wrong value


def test_rotation_refuses_bad_arguments(db):
    with pytest.raises(CommandError):
        call_command("rotate_field_key", "--model", "households.House")
    with pytest.raises(CommandError):
        call_command("rotate_field_key", "--batch", "0")


def test_the_import_seals_each_value_to_the_id_it_is_written_under(county_user):
    """The fast write path (households.writer, COPY on PostgreSQL) seals values once ids are allocated."""
    from conftest import household_input
    from households.services import MemberInput, save_households

    data = household_input(head_id=make_id(seq=111), bank_account="6230000011112222333")
    data.members = [MemberInput("成员", "son", parse(make_id(dt.date(1995, 1, 2), seq=113)))]
    outcome = save_households(actor=county_user, inputs=[data])[0]
    h = Household.objects.get(pk=outcome.household_id)
    assert (h.head_id, h.phone, h.bank_account) == (make_id(seq=111), "13912345678", "6230000011112222333")
    assert h.members.get().id_number == make_id(dt.date(1995, 1, 2), seq=113)
    with connection.cursor() as cur:
        cur.execute("SELECT head_id_enc FROM households_household WHERE id = %s", [h.pk])
        raw = bytes(cur.fetchone()[0])
    assert raw[:2] == b"\x02\x01" and Household.head_id.read(raw, h.pk + 1) == UNREADABLE
    assert base64.b64encode(raw)  # stored as bytes, not as COPY text
