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


def test_nonces_never_repeat_across_pools_threads_and_forks():
    import os
    import threading

    from core.crypto import NONCE_BYTES, NONCE_POOL

    def nonces(n: int) -> list[bytes]:
        return [encrypt("1")[:NONCE_BYTES] for _ in range(n)]

    seen = nonces(NONCE_POOL * 3 + 5)  # past the end of several pools
    others: list[bytes] = []
    worker = threading.Thread(target=lambda: others.extend(nonces(NONCE_POOL + 1)))
    worker.start()
    worker.join()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a forked worker must not reuse the nonces its parent has still in its pool
        os.write(write, b"".join(nonces(10)))
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, NONCE_BYTES * 10)
    forked = [child[i : i + NONCE_BYTES] for i in range(0, len(child), NONCE_BYTES)]
    parent_next = nonces(10)
    everything = seen + others + forked + parent_next
    assert len(forked) == 10 and len(set(everything)) == len(everything)


def test_blind_index_is_hmac_sha256_with_the_index_key():
    import base64
    import hashlib
    import hmac

    from django.conf import settings

    master = base64.b64decode(settings.ANJU_FIELD_KEY)
    key = hmac.new(master, b"anju-blind-index-v1", hashlib.sha256).digest()
    assert blind_index("610826196805120123") == hmac.new(key, b"610826196805120123", hashlib.sha256).hexdigest()
