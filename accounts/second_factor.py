"""The second factor: a TOTP authenticator (django-otp's TOTPDevice) for the roles that may unmask
personal numbers or approve payments (settings.SECOND_FACTOR_CAPS), asked at sign-in after the
password, on the web and for an API token.

Enrolment happens at the first sign-in that needs it: the page shows a QR code (segno) and the
secret, and the device counts only once a code from it was accepted. A lost device is reset by an
administrator of a higher level only (accounts.duties), never by the one who can reset the password.
"""

from __future__ import annotations

import hashlib
import time
from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from accounts import duties
from accounts.models import User
from accounts.roles import Cap
from audit.services import record

DEVICE_NAME = "身份验证器"


def required(user: User) -> bool:
    caps = {Cap(c) for c in settings.SECOND_FACTOR_CAPS}
    return bool(caps & user.caps)


def device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def new_device(user: User, key: str = "") -> TOTPDevice:
    """The device being enrolled, not saved: its key lives in the pending sign-in's session until a
    code from it is accepted (so showing the enrolment page writes nothing)."""
    return TOTPDevice(user=user, name=DEVICE_NAME, key=key or default_key(), confirmed=False)


def secret(dev: TOTPDevice) -> str:
    return b32encode(dev.bin_key).decode().rstrip("=")


def qr_svg(dev: TOTPDevice) -> str:
    return str(segno.make(dev.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


def _clean(code: str, digits: int) -> int | None:
    code = (code or "").strip().replace(" ", "")
    return int(code) if code.isdigit() and len(code) == digits else None


def verify(dev: TOTPDevice, code: str) -> bool:
    """A code of an enrolled device; each code is accepted once (django-otp keeps `last_t`)."""
    token = _clean(code, dev.digits)
    return token is not None and bool(dev.verify_token(token))


def verify_new(dev: TOTPDevice, code: str) -> bool:
    """A code of the device being enrolled; on success `dev.last_t` is the code's time step."""
    token = _clean(code, dev.digits)
    if token is None:
        return False
    totp = TOTP(dev.bin_key, dev.step, dev.t0, dev.digits, dev.drift)
    totp.time = time.time()
    if not totp.verify(token, dev.tolerance):
        return False
    dev.last_t = totp.t()
    return True


@transaction.atomic
def confirm(user: User, dev: TOTPDevice) -> None:
    """Keep the newly enrolled device (a code from it was accepted) in place of any other."""
    TOTPDevice.objects.filter(user=user).delete()
    dev.confirmed = True
    dev.save()
    record("auth.otp_enrol", actor=user, obj=user, region_code=user.region_id or "")


@transaction.atomic
def reset(*, actor: User | None, user: User) -> None:
    duties.check_reset_second_factor(actor, user)
    TOTPDevice.objects.filter(user=user).delete()
    record("user.reset_otp", actor=actor, obj=user, region_code=user.region_id or "")


def current_code(dev: TOTPDevice) -> str:
    totp = TOTP(dev.bin_key, dev.step, dev.t0, dev.digits, dev.drift)
    return str(totp.token()).zfill(dev.digits)


def demo_key(username: str) -> str:
    """A fixed, printed key for the demo accounts (DEBUG only, see create_demo_users)."""
    return hashlib.sha1(f"anju-demo-otp:{username}".encode()).hexdigest()


def enrol_demo(user: User) -> TOTPDevice:
    if not settings.DEBUG:
        raise RuntimeError("demo authenticators exist only with ANJU_DEBUG=1")
    TOTPDevice.objects.filter(user=user).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=demo_key(user.username), confirmed=True)
