"""Field sync over HTTP (gunicorn, as a phone would): N inspections, then one photo of K KB each.

Prints records/s for the text, photos/s and MB/s for the pictures (sent in 64 KB pieces, as the app
does), and the whole sync of one village of 300 households (records and photos), measured alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
import uuid
from typing import Any

import requests
from common import OUT, gunicorn, setup_django

PIECE = 64 * 1024


def payloads(households: list[Any], seq0: int) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC)
    out = []
    for n, (hid, house, version, house_version, lat, lng) in enumerate(households, seq0):
        out.append({
            "uid": str(uuid.uuid4()), "kind": "inspection", "household": hid, "house": house, "device": "bench", "seq": n,
            "captured_at": now.isoformat(), "downloaded_at": (now - dt.timedelta(hours=3)).isoformat(),
            "base": {"household_version": version, "house_version": house_version},
            "gps": {"latitude": str(lat) if lat else None, "longitude": str(lng) if lng else None, "accuracy": 8},
            "data": {"inspected_on": dt.date.today().isoformat(), "verdict": "safe", "inspector_name": "压测",
                     "household_confirmed": True, "confirmed_by": "户主"},
        })  # fmt: skip
    return out


def noise_jpeg(size: int) -> bytes:
    """A JPEG of random pixels of about `size` bytes (noise hardly compresses: about 1 byte a pixel at quality 90)."""
    import io

    from PIL import Image

    side = max(8, int((size / 1.0) ** 0.5))
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def sync(session: requests.Session, base: str, records: list[dict[str, Any]], photo_bytes: int) -> tuple[float, float]:
    """Text first (batches of 50), then photos; returns (seconds for text, seconds for photos)."""
    start = time.perf_counter()
    for i in range(0, len(records), 50):
        answer = session.post(f"{base}/api/field/sync/", json={"records": records[i : i + 50]}, timeout=120)
        answer.raise_for_status()
        bad = [r for r in answer.json()["results"] if r["status"] == "rejected"]
        assert not bad, bad[:3]
    text = time.perf_counter() - start
    start = time.perf_counter()
    for r in records:
        content = noise_jpeg(photo_bytes)  # a real picture: the server decodes and re-encodes it (ADR 0020)
        meta = {"uid": str(uuid.uuid4()), "record_kind": "inspection", "record_uid": r["uid"], "size": len(content),
                "taken_at": r["captured_at"], "part": "overview", "gps": r["gps"]}  # fmt: skip
        session.post(f"{base}/api/field/photos/", json=meta, timeout=60).raise_for_status()
        for offset in range(0, len(content), PIECE):
            piece = session.put(f"{base}/api/field/photos/{meta['uid']}/?offset={offset}", data=content[offset : offset + PIECE],
                                headers={"Content-Type": "application/octet-stream"}, timeout=60)  # fmt: skip
            piece.raise_for_status()
        assert piece.json()["complete"], piece.json()
    return text, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--photo-kb", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8124)
    args = parser.parse_args()
    os.environ["ANJU_MEDIA_ROOT"] = str(OUT / "media")  # the bench's photos stay out of var/media
    setup_django()
    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import create_user
    from accounts.tokens import issue
    from households.models import House

    houses = list(
        House.objects.filter(is_dwelling=True).order_by("-id")
        .values_list("household_id", "id", "household__version", "version", "latitude", "longitude")[: args.records + 300]
    )  # fmt: skip
    county = House.objects.get(pk=houses[0][1]).region_code[:6]
    user = User.objects.filter(username="bench_field").first() or create_user(
        actor=None, username="bench_field", password="Bench#2026pw", region_code=county[:4], roles=[Role.COUNTY_STAFF]
    )
    token = issue(user=user, name="bench", days=1)
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token.key}"
    photo = args.photo_kb * 1024
    with gunicorn(args.port, args.workers) as base:
        village_text, village_photos = sync(session, base, payloads(houses[:300], 1), photo)
        text, photos = sync(session, base, payloads(houses[300 : 300 + args.records], 1000), photo)
    n = args.records
    print(json.dumps({
        "bench": "field_sync", "records": n, "photo_kb": args.photo_kb, "workers": args.workers,
        "records_per_s": round(n / text, 1), "photos_per_s": round(n / photos, 1),
        "photo_mb_per_s": round(n * photo / photos / 1e6, 1), "total_s": round(text + photos, 1),
        "village_300_s": round(village_text + village_photos, 1),
        "village_300_text_s": round(village_text, 1), "village_300_photos_s": round(village_photos, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
