from django.db import connection

from conftest import add_household, make_id
from core.crypto import blind_index, decrypt, encrypt
from core.masking import mask_id_number, mask_phone


def test_round_trip_and_fresh_nonce():
    a, b = encrypt("13912345678"), encrypt("13912345678")
    assert a != b
    assert decrypt(a) == decrypt(b) == "13912345678"
    assert blind_index("x") == blind_index("x") != blind_index("y")


def test_masks():
    assert mask_id_number("610826196805121234") == "610826********1234"
    assert mask_phone("13812345678") == "138****5678"


def test_database_holds_no_plain_number(db):
    head_id = make_id()
    add_household(head_id=head_id, phone="13912345678", bank_account="6230000011112222333")
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM households_household")
        rows = cur.fetchall()
    dump = repr(rows)
    for secret in (head_id, "13912345678", "6230000011112222333", head_id[6:14]):
        assert secret not in dump
