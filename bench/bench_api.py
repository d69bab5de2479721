"""Household by ID number through the API (POST /api/households/lookup/), under load from wrk.

Starts gunicorn on 127.0.0.1 against DATABASE_URL, signs in the bench user for a token, takes a
sample of real ID numbers (heads of households), and runs wrk with a Lua script that posts them in
turn. Prints requests/s and latency percentiles. Needs Debian's wrk (installed when missing, as root).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
import urllib.request
from typing import Any

from common import BENCH_USER, OUT, gunicorn, setup_django

LUA = """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Token %(token)s"
request = function()
  n = n + 1
  return wrk.format(nil, "%(path)s", nil, '{"id_number": "' .. ids[(n %% #ids) + 1] .. '"}')
end
"""
API_PATH = "/api/households/lookup/"
BARE_PATH = "/bench/bare-lookup/"  # bench/bare_views.py: the same indexed lookup in a plain Django view


def run_wrk(wrk: str, lua: Any, port: int, connections: int, seconds: int) -> dict[str, Any]:
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(lua), f"http://127.0.0.1:{port}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = out.splitlines()
    return {
        "rps": float(next(line.split()[1] for line in lines if line.startswith("Requests/sec"))),
        "p99": next(line.split()[1] for line in lines if line.strip().startswith("99%")),
        "errors": [line.strip() for line in lines if "Non-2xx" in line or "Socket errors" in line],
    }


def versus_bare(wrk: str, args: Any, token: str, ids_file: Any) -> None:
    """The API against the bare view on the same server, alternating A B A B, the ratio pair by pair."""
    luas = {}
    for name, path in (("api", API_PATH), ("bare", BARE_PATH)):
        luas[name] = OUT / f"lookup_{name}.lua"
        luas[name].write_text(LUA % {"ids": ids_file, "token": token, "path": path})
    with gunicorn(args.port, args.workers, settings="bare_settings"):
        for name in ("api", "bare"):  # warm every worker on both paths
            run_wrk(wrk, luas[name], args.port, args.connections, 3)
        ratios = []
        for n in range(args.vs_bare):
            api = run_wrk(wrk, luas["api"], args.port, args.connections, args.seconds)
            bare = run_wrk(wrk, luas["bare"], args.port, args.connections, args.seconds)
            ratios.append(api["rps"] / bare["rps"])
            print(f"pair {n + 1}: api {api['rps']:,.0f} req/s p99 {api['p99']} {api['errors'] or ''} | "
                  f"bare {bare['rps']:,.0f} req/s p99 {bare['p99']} {bare['errors'] or ''} | ratio {ratios[-1]:.2f}")  # fmt: skip
        ratios.sort()
        print(json.dumps({"bench": "api_lookup_vs_bare_view", "workers": args.workers, "connections": args.connections,
                          "seconds": args.seconds, "ratios": [round(r, 3) for r in ratios],
                          "median_ratio": round(ratios[len(ratios) // 2], 3)}))  # fmt: skip


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if not found and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"], check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        )
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed: apt-get install wrk")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--vs-bare", type=int, default=0, help="pairs of runs against the bare view (0: the API alone)")
    args = parser.parse_args()
    setup_django()
    from django.db.models import Max, Min
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from core.crypto import decrypt
    from households.models import Household

    wrk = ensure_wrk()
    user = User.objects.get(username=BENCH_USER)
    token, _ = Token.objects.get_or_create(user=user)
    total = Household.objects.count()
    low, high = Household.objects.aggregate(low=Min("id"), high=Max("id")).values()
    ids = []
    for start in random.Random(1).sample(range(low, high + 1), min(2000, total)):  # an index lookup each, not an OFFSET
        blob = Household.objects.filter(id__gte=start).order_by("id").values_list("head_id_enc", flat=True).first()
        if blob is not None:
            ids.append(decrypt(blob))
    ids_file = OUT / "api_ids.txt"
    ids_file.write_text("\n".join(ids) + "\n")
    if args.vs_bare:
        versus_bare(wrk, args, token.key, ids_file)
        return
    lua = OUT / "lookup.lua"
    lua.write_text(LUA % {"ids": ids_file, "token": token.key, "path": API_PATH})
    with gunicorn(args.port, args.workers):
        url = f"http://127.0.0.1:{args.port}/api/households/lookup/"
        for _ in range(100):
            try:
                req = urllib.request.Request(
                    url,
                    data=json.dumps({"id_number": ids[0]}).encode(),
                    method="POST",
                    headers={"Authorization": f"Token {token.key}", "Content-Type": "application/json"},
                )
                body = json.loads(urllib.request.urlopen(req, timeout=5).read())
                assert body and body[0]["head_id"].endswith(ids[0][-4:]), body
                break
            except OSError:
                time.sleep(0.2)
        # warm every worker, then measure
        subprocess.run(
            [wrk, "-t2", f"-c{args.connections}", "-d3s", "-s", str(lua), f"http://127.0.0.1:{args.port}"],
            check=True,
            capture_output=True,
        )
        result = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--latency",
                "-s",
                str(lua),
                f"http://127.0.0.1:{args.port}",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print(result)
        rps = float(next(line.split()[1] for line in result.splitlines() if line.startswith("Requests/sec")))
        p99 = next(line.split()[1] for line in result.splitlines() if line.strip().startswith("99%"))
        non2xx = [line for line in result.splitlines() if "Non-2xx" in line]
        print(
            json.dumps(
                {
                    "bench": "api_lookup_by_id",
                    "households": total,
                    "workers": args.workers,
                    "connections": args.connections,
                    "requests_per_s": rps,
                    "p99": p99,
                    "errors": non2xx,
                }
            )
        )


if __name__ == "__main__":
    main()
