"""The production profile (issue 11 finding 9): settings are read at start-up, so each case starts a
fresh Python with the environment an operator would give it."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    # A clean environment, as an operator's service file gives it (nothing from this test run, e.g. the
    # browser tests' DJANGO_ALLOW_ASYNC_UNSAFE, which check --deploy rightly warns about).
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env |= {
        "ANJU_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ANJU_FIELD_KEY": base64.b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "anju.example",
        "ANJU_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


SETUP = "import django; django.setup(); print('started')"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        # the public development key from settings.py, given on purpose, is no secret either
        ({"SECRET_KEY": "anju-development-only-secret-key-change-me-in-production"}, "SECRET_KEY"),
        ({"ANJU_FIELD_KEY": None}, "ANJU_FIELD_KEY"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(tmp_path: Path, changes: dict[str, str | None], named: str) -> None:
    done = run(production_env(tmp_path, **changes), "-c", SETUP)
    assert done.returncode != 0 and "started" not in done.stdout
    assert "ImproperlyConfigured" in done.stderr and named in done.stderr
    assert "生产模式（ANJU_DEBUG=0）拒绝启动" in done.stderr and "refuses to start" in done.stderr
    assert not (tmp_path / "var" / "keys").exists()  # no key file made up on the way


def test_an_existing_key_file_is_accepted_instead_of_the_variable(tmp_path: Path) -> None:
    key = tmp_path / "field.key"
    key.write_text(base64.b64encode(os.urandom(32)).decode())
    done = run(production_env(tmp_path, ANJU_FIELD_KEY=None, ANJU_FIELD_KEY_FILE=str(key)), "-c", SETUP)
    assert done.returncode == 0, done.stderr


def test_check_deploy_passes_with_the_production_environment(tmp_path: Path) -> None:
    done = run(production_env(tmp_path), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr


PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
c = Client(HTTP_HOST="anju.example")
plain = c.get("/accounts/login/")
tls = c.get("/accounts/login/", secure=True)
csrf = tls.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "status": tls.status_code,
    "headers": {k: tls.get(k, "") for k in ("Strict-Transport-Security", "X-Frame-Options", "Referrer-Policy",
        "X-Content-Type-Options", "Content-Security-Policy", "Cross-Origin-Opener-Policy")},
    "csrf": {"name": settings.CSRF_COOKIE_NAME, "secure": bool(csrf and csrf["secure"]),
        "samesite": csrf["samesite"] if csrf else ""},
    "session": {"name": settings.SESSION_COOKIE_NAME, "secure": settings.SESSION_COOKIE_SECURE,
        "httponly": settings.SESSION_COOKIE_HTTPONLY, "samesite": settings.SESSION_COOKIE_SAMESITE},
    "proxy": settings.SECURE_PROXY_SSL_HEADER,
}))
"""


def probe(env: dict[str, str]) -> dict[str, Any]:
    done = run(env, "-c", PROBE)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_production_answers_only_over_https_with_secure_cookies_and_headers(tmp_path: Path) -> None:
    got = probe(production_env(tmp_path))
    assert got["plain"] == [301, "https://anju.example/accounts/login/"]
    assert got["status"] == 200
    h = got["headers"]
    assert h["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert h["X-Frame-Options"] == "DENY" and h["Referrer-Policy"] == "same-origin"
    assert h["X-Content-Type-Options"] == "nosniff" and h["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "script-src 'self'" in h["Content-Security-Policy"] and "unsafe" not in h["Content-Security-Policy"]
    assert got["csrf"] == {"name": "__Host-anju_csrf", "secure": True, "samesite": "Lax"}
    assert got["session"] == {"name": "__Host-anju_session", "secure": True, "httponly": True, "samesite": "Lax"}
    assert got["proxy"] is None  # X-Forwarded-Proto is believed only when the operator says a proxy sets it


def test_a_forged_forwarded_proto_is_not_believed_without_the_proxy_setting(tmp_path: Path) -> None:
    """An attacker talking plain HTTP to the app server who claims X-Forwarded-Proto: https is still redirected."""
    script = PROBE.replace(
        'plain = c.get("/accounts/login/")', 'plain = c.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")'
    )
    done = run(production_env(tmp_path), "-c", script)
    assert json.loads(done.stdout.strip().splitlines()[-1])["plain"][0] == 301
    behind = run(production_env(tmp_path, ANJU_BEHIND_PROXY="1"), "-c", script)
    assert json.loads(behind.stdout.strip().splitlines()[-1])["plain"][0] == 200  # behind the documented proxy
