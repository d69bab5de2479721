"""Sign-in throttling per account name and per client address, safe under concurrency.

Every attempt first *claims* a slot: one atomic UPDATE ... SET failures = failures + 1 per counter,
committed before the password hash (or the one-time code) is checked. The value each attempt gets
back is its own, so of 40 parallel guesses only the first LOCKOUT_FAILURES are checked at all; the
rest are refused without looking at the password. A failed check whose slot reached the limit locks
the counter; a successful one gives its slot back (the account's counter starts again at zero, the
address's loses only this attempt, so one good account cannot wash out an address's guesses at others).

Counters are keyed by the name as typed: an unknown name is counted, refused and locked exactly like
a real one, so neither the messages nor the lockout tell which names exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import LoginThrottle

ACCOUNT, ADDRESS = LoginThrottle.ACCOUNT, LoginThrottle.ADDRESS


def _limit(scope: str) -> int:
    return int(settings.LOCKOUT_FAILURES if scope == ACCOUNT else settings.ADDRESS_LOCKOUT_FAILURES)


@dataclass(frozen=True)
class Slot:
    scope: str
    key: str
    failures: int  # this attempt's number in the counter's window
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class Claim:
    slots: tuple[Slot, ...]
    at: dt.datetime

    @property
    def refused_until(self) -> dt.datetime | None:
        """Set when the attempt must not be checked: a counter is locked or already past its limit."""
        until = None
        for slot in self.slots:
            if slot.locked_until and slot.locked_until > self.at:
                until = max(until or slot.locked_until, slot.locked_until)
            elif slot.failures > _limit(slot.scope):
                pending = self.at + dt.timedelta(seconds=settings.LOCKOUT_SECONDS)
                until = max(until or pending, pending)
        return until

    @property
    def refused_scope(self) -> str:
        for slot in self.slots:
            if (slot.locked_until and slot.locked_until > self.at) or slot.failures > _limit(slot.scope):
                return slot.scope
        return ""

    @property
    def attempts_left(self) -> int:
        account = self.slots[0]
        return max(0, _limit(ACCOUNT) - account.failures)


def _keys(username: str, address: str) -> list[tuple[str, str]]:
    keys = [(ACCOUNT, username[:150])]
    if address and settings.ADDRESS_LOCKOUT_FAILURES:  # 0: no counter per address
        keys.append((ADDRESS, address[:150]))
    return keys


def claim(username: str, address: str) -> Claim:
    """Count this attempt before anything is checked; committed at once (its own transaction)."""
    now = timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.LOCKOUT_WINDOW_SECONDS)
    keys = _keys(username, address)
    locked = When(locked_until__gt=now, then=F("failures"))
    stale = When(window_start__lt=cutoff, then=Value(1))
    with transaction.atomic():
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(scope=s, key=k, window_start=now) for s, k in keys], ignore_conflicts=True
        )
        for scope, key in keys:  # always the account first, then the address: no lock cycles
            LoginThrottle.objects.filter(scope=scope, key=key).update(
                failures=Case(locked, stale, default=F("failures") + 1),
                window_start=Case(
                    When(locked_until__gt=now, then=F("window_start")),
                    When(window_start__lt=cutoff, then=Value(now)),
                    default=F("window_start"),
                ),
            )
        rows = {
            (r.scope, r.key): r for r in LoginThrottle.objects.filter(scope__in=[ACCOUNT, ADDRESS], key__in=[k for _s, k in keys])
        }
    return Claim(tuple(Slot(s, k, rows[(s, k)].failures, rows[(s, k)].locked_until) for s, k in keys if (s, k) in rows), now)


def failed(attempt: Claim) -> tuple[str, dt.datetime | None]:
    """The check failed: lock every counter this attempt brought to its limit. Returns the scope
    locked by this attempt (the account before the address) and until when, or ("", None)."""
    until = timezone.now() + dt.timedelta(seconds=settings.LOCKOUT_SECONDS)
    locked = ""
    for slot in attempt.slots:
        if slot.failures >= _limit(slot.scope):
            LoginThrottle.objects.filter(scope=slot.scope, key=slot.key).update(locked_until=until, failures=0)
            locked = locked or slot.scope
    return locked, (until if locked else None)


def succeeded(attempt: Claim, *, complete: bool = True) -> None:
    """The check passed: give this attempt's slot back. A complete sign-in also clears the account's
    counter; a step before the second factor does not, or signing in with the password again and
    again would give unlimited guesses at the one-time code."""
    for slot in attempt.slots:
        rows = LoginThrottle.objects.filter(scope=slot.scope, key=slot.key)
        if slot.scope == ACCOUNT and complete:
            rows.update(failures=0, locked_until=None)
        else:
            rows.update(failures=Greatest(F("failures") - 1, Value(0)))


def unlock(username: str) -> None:
    LoginThrottle.objects.filter(scope=ACCOUNT, key=username).update(failures=0, locked_until=None)


def locked_names(names: list[str]) -> set[str]:
    now = timezone.now()
    return set(LoginThrottle.objects.filter(scope=ACCOUNT, key__in=names, locked_until__gt=now).values_list("key", flat=True))


def locked_until(username: str) -> dt.datetime | None:
    row = LoginThrottle.objects.filter(scope=ACCOUNT, key=username, locked_until__gt=timezone.now()).first()
    return row.locked_until if row else None
