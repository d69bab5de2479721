import base64
import hashlib
import hmac
import logging
import os

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from conftest import TEST_FIELD_KEY, add_household, make_id
from core import crypto
from core.crypto import (
    NONCE_BYTES,
    UNREADABLE,
    Undecryptable,
    blind_index,
    context,
    decrypt,
    encrypt,
    read,
)

CTX = context("households_household", "phone")
KEY_2 = base64.b64encode(b"second-test-key-for-rotation-32b").decode()


def v1_encrypt(value: str, key: str = TEST_FIELD_KEY) -> bytes:
    """A ciphertext as Anju wrote it before version 2: nonce || AES-GCM, no associated data."""
    master = base64.b64decode(key)
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(hmac.new(master, b"anju-field-encryption-v1", hashlib.sha256).digest()).encrypt(
        nonce, value.encode(), None
    )


@pytest.fixture
def two_keys(settings):
    settings.ANJU_FIELD_KEYS = f"2:{KEY_2}"
    settings.ANJU_FIELD_KEY_ID = 2
    crypto.reset_keys()
    yield
    crypto.reset_keys()


def test_round_trip_fresh_nonce_and_format():
    a, b = encrypt("13912345678", CTX, 7), encrypt("13912345678", CTX, 7)
    assert a != b
    assert decrypt(a, CTX, 7) == decrypt(b, CTX, 7) == "13912345678"
    assert a[0] == 2 and a[1] == 1  # version 2, key id 1
    assert len(a) == 2 + NONCE_BYTES + len("13912345678") + 16
    assert blind_index("x") == blind_index("x") != blind_index("y")


@pytest.mark.parametrize(
    "ctx, row",
    [
        (CTX, 8),  # another row
        (context("households_household", "bank_account"), 7),  # another field of the same row
        (context("funds_payment", "phone"), 7),  # another table
    ],
)
def test_a_ciphertext_opens_only_in_its_own_row_and_field(ctx, row):
    blob = encrypt("13912345678", CTX, 7)
    with pytest.raises(Undecryptable):
        decrypt(blob, ctx, row)


def test_any_altered_byte_is_detected():
    blob = encrypt("610826196805121234", CTX, 7)
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x01
        with pytest.raises(Undecryptable):
            decrypt(bytes(bad), CTX, 7)
    for short in (b"", b"\x02", blob[:20]):
        with pytest.raises(Undecryptable):
            decrypt(short, CTX, 7)


def test_version_1_still_opens_until_refused(settings):
    old = v1_encrypt("13912345678")
    assert decrypt(old, CTX, 7) == decrypt(old, CTX, 99) == "13912345678"  # v1 was bound to nothing
    settings.ANJU_FIELD_ACCEPT_V1 = False  # after rotate_field_key: a planted v1 value no longer opens
    with pytest.raises(Undecryptable):
        decrypt(old, CTX, 7)


def test_a_second_key_seals_new_values_and_the_first_still_opens(settings, two_keys):
    settings.ANJU_FIELD_KEY_ID = 1
    crypto.reset_keys()
    index_before = blind_index("610826196805121234")
    by_one = encrypt("13912345678", CTX, 7)
    settings.ANJU_FIELD_KEY_ID = 2
    crypto.reset_keys()
    by_two = encrypt("13912345678", CTX, 7)
    assert (by_one[1], by_two[1]) == (1, 2)
    assert decrypt(by_one, CTX, 7) == decrypt(by_two, CTX, 7) == "13912345678"
    assert crypto.is_current(by_two) and not crypto.is_current(by_one)
    assert blind_index("610826196805121234") == index_before  # the index key stays on key 1


@pytest.mark.parametrize(
    "keys, current",
    [
        ("2:notbase64!", 2),
        (f"two:{KEY_2}", 2),
        (f"2:{KEY_2},2:{KEY_2}", 2),
        (f"2:{KEY_2}", 3),  # the current key is not configured
        (f"1:{KEY_2}", 1),  # key 1 given twice, differently (ANJU_FIELD_KEY is key 1)
        ("2:" + base64.b64encode(b"short").decode(), 2),
    ],
)
def test_bad_key_settings_are_refused(settings, keys, current):
    settings.ANJU_FIELD_KEYS = keys
    settings.ANJU_FIELD_KEY_ID = current
    crypto.reset_keys()
    try:
        with pytest.raises(ImproperlyConfigured):
            crypto.keyring()
    finally:
        settings.ANJU_FIELD_KEYS = ""
        settings.ANJU_FIELD_KEY_ID = 0
        crypto.reset_keys()


def test_read_shows_unreadable_and_logs_once_per_row(caplog):
    blob = encrypt("13912345678", CTX, 7)
    crypto._reported.clear()
    with caplog.at_level(logging.WARNING, logger="anju.crypto"):
        assert read(blob, CTX, 8) == UNREADABLE == "无法解密"
        assert read(blob, CTX, 8) == UNREADABLE
        assert read(blob, CTX, 7) == "13912345678"
        assert read(b"", CTX, 8) == read(None, CTX, 8) == ""
    warnings = [r for r in caplog.records if r.name == "anju.crypto"]
    assert len(warnings) == 1  # not once per page view
    assert (warnings[0].table, warnings[0].field, warnings[0].row_id) == ("households_household", "phone", 8)
    assert "13912345678" not in caplog.text and blob.hex() not in caplog.text  # no value in the log
    assert crypto.unreadable_counts["households_household/phone"] >= 2


def test_database_holds_no_plain_number(db):
    head_id = make_id()
    add_household(head_id=head_id, phone="13912345678", bank_account="6230000011112222333")
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM households_household")
        rows = cur.fetchall()
    dump = repr(rows)
    for secret in (head_id, "13912345678", "6230000011112222333", head_id[6:14]):
        assert secret not in dump


def test_nonces_never_repeat_across_pools_threads_and_forks():
    import threading

    from core.crypto import NONCE_POOL

    def nonces(n: int) -> list[bytes]:
        return [encrypt("1", CTX, 1)[2 : 2 + NONCE_BYTES] for _ in range(n)]

    seen = nonces(NONCE_POOL * 3 + 5)  # past the end of several pools
    others: list[bytes] = []
    worker = threading.Thread(target=lambda: others.extend(nonces(NONCE_POOL + 1)))
    worker.start()
    worker.join()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # a forked worker must not reuse the nonces its parent has still in its pool
        os.write(write_end, b"".join(nonces(10)))
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read_end, NONCE_BYTES * 10)
    forked = [child[i : i + NONCE_BYTES] for i in range(0, len(child), NONCE_BYTES)]
    parent_next = nonces(10)
    everything = seen + others + forked + parent_next
    assert len(forked) == 10 and len(set(everything)) == len(everything)


def test_blind_index_is_hmac_sha256_with_the_index_key():
    from django.conf import settings

    master = base64.b64decode(settings.ANJU_FIELD_KEY)
    key = hmac.new(master, b"anju-blind-index-v1", hashlib.sha256).digest()
    assert blind_index("610826196805120123") == hmac.new(key, b"610826196805120123", hashlib.sha256).hexdigest()
