"""The one access policy: which roles may do what with each kind of thing, and where.

A *policy* per model names, for each action (view, change, approve, export, unmask), the grants
that allow it: a set of capabilities (accounts.roles gives each role its capabilities) and the
scope that grant reaches (by default the rows whose region code lies under the user's region; or
a relation, such as "the plans handed to me" or "standards published above me"). A user may take
an action on a row when one of their capabilities is in a grant whose scope holds the row.

Everything that reads or changes data asks here: `restrict(queryset, user, action)` narrows a
queryset (NetBox's `RestrictedQuerySet.restrict`), `check` refuses a role that holds no grant for
the action (403), `get_or_404` fetches one row in scope (404 otherwise). Page views declare their
model and action with `allow` (core.views), API viewsets through `core.api.PolicyViewSet`; a test
generated from the URL resolver holds every route to this table (tests/test_access_matrix.py).
Refusals are reported to the hooks in `on_denied` (the audit app registers one), so core needs no
domain app. The table itself is `accounts/policy.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from core.scoping import CODE_LENGTH, prefix_filter

ACTIONS = ("view", "change", "approve", "export", "unmask")
LEVEL_LENGTHS = (2, 4, 6, 9, 12)

_M = TypeVar("_M", bound=models.Model)
Scope = Callable[[Any], Q]  # the user -> the rows a grant reaches
Denied = Callable[..., None]

NOTHING = Q(pk__in=[])
ANYONE = "*"  # a grant to every signed-in, active user (public reference data)

# Called as hook(actor=, action=, object_type=, object_id=, reason="role"|"scope", path=) on each refusal.
on_denied: list[Denied] = []


def in_region(field_name: str = "region_code") -> Scope:
    """Rows whose 12-digit code lies under the user's region."""

    def scope(user: Any) -> Q:
        region = getattr(user, "region_id", None) or ""
        return prefix_filter(region, field_name) if region else NOTHING

    return scope


def _ancestors(region: str) -> list[str]:
    return [region[:n] for n in LEVEL_LENGTHS if n < len(region)]


def in_region_or_above(field_name: str, *, padded: bool) -> Scope:
    """Rows of the user's region and below, and rows published at a level above it (a county sees its
    province's and city's standards, not a neighbour's). `padded`: the field holds 12-digit codes, not prefixes."""

    def scope(user: Any) -> Q:
        region = getattr(user, "region_id", None) or ""
        if not region:
            return NOTHING
        above = [a.ljust(CODE_LENGTH, "0") if padded else a for a in _ancestors(region)]
        below = prefix_filter(region, field_name) if padded else Q(**{f"{field_name}__startswith": region})
        return below | Q(**{f"{field_name}__in": above})

    return scope


def related(lookup: str) -> Scope:
    """Rows tied to the user by `lookup` (e.g. "plan__samplers": the plans handed to the user)."""
    return lambda user: Q(**{lookup: user}) if getattr(user, "pk", None) else NOTHING


def anywhere(user: Any) -> Q:
    """Reference data every signed-in user may read (region codes, code tables)."""
    return Q()


@dataclass(frozen=True)
class Grant:
    caps: frozenset[str]
    scope: Scope
    distinct: bool = False  # the scope runs through a many-to-many relation, which can repeat rows


@dataclass
class Policy:
    label: str
    actions: dict[str, tuple[Grant, ...]] = field(default_factory=dict)

    def grants(self, user: Any, action: str) -> list[Grant]:
        if action not in ACTIONS:
            raise ImproperlyConfigured(f"unknown action {action!r}")
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
            return []
        caps: frozenset[str] = getattr(user, "caps", frozenset())
        return [g for g in self.actions.get(action, ()) if g.caps & caps or ANYONE in g.caps]


_TABLE: dict[str, Policy] = {}


def grant(*caps: str, scope: Scope | None = None, distinct: bool = False) -> Grant:
    return Grant(frozenset(str(c) for c in caps), scope or in_region(), distinct)


def register(label: str, **actions: Grant | Iterable[Grant]) -> None:
    """Declare the policy of a model ("app.Model"): action=grant(...) or a list of grants."""
    table: dict[str, tuple[Grant, ...]] = {}
    for action, grants in actions.items():
        if action not in ACTIONS:
            raise ImproperlyConfigured(f"{label}: unknown action {action!r}")
        table[action] = (grants,) if isinstance(grants, Grant) else tuple(grants)
    _TABLE[label.lower()] = Policy(label=label, actions=table)


def label_of(model: type[models.Model] | str) -> str:
    return model.lower() if isinstance(model, str) else model._meta.label_lower


def policy_for(model: type[models.Model] | str) -> Policy:
    try:
        return _TABLE[label_of(model)]
    except KeyError:
        raise ImproperlyConfigured(f"no access policy for {label_of(model)} (add it to accounts/policy.py)") from None


def model_of(model: type[models.Model] | str) -> type[models.Model]:
    return apps.get_model(model) if isinstance(model, str) else model


def registered() -> dict[str, Policy]:
    return dict(_TABLE)


def allowed(user: Any, model: type[models.Model] | str, action: str) -> bool:
    """Whether the user's roles hold any grant for the action on this kind of thing (wherever it is)."""
    return bool(policy_for(model).grants(user, action))


def scope_q(user: Any, model: type[models.Model] | str, action: str) -> Q | None:
    """The rows the user may take the action on, as one condition; None when no role of theirs allows it."""
    grants = policy_for(model).grants(user, action)
    if not grants:
        return None
    q = grants[0].scope(user)
    for g in grants[1:]:
        q = q | g.scope(user)
    return q


def restrict(queryset: models.QuerySet[_M], user: Any, action: str = "view") -> models.QuerySet[_M]:
    """The part of `queryset` the user may take `action` on (nothing when the role may not)."""
    grants = policy_for(queryset.model).grants(user, action)
    q = scope_q(user, queryset.model, action)
    if q is None:
        return queryset.none()
    restricted = queryset.filter(q)
    return restricted.distinct() if any(g.distinct for g in grants) else restricted


def _report(user: Any, action: str, model: type[models.Model] | str, object_id: Any, reason: str, path: str) -> None:
    for hook in on_denied:
        hook(actor=user, action=action, object_type=label_of(model), object_id=str(object_id or ""), reason=reason, path=path)


def check(user: Any, model: type[models.Model] | str, action: str, *, path: str = "") -> None:
    """Refuse (403, audited) a user none of whose roles may take the action on this kind of thing."""
    if not allowed(user, model, action):
        _report(user, action, model, "", "role", path)
        raise PermissionDenied(_("您的角色无权进行此操作。"))


def get_or_404(user: Any, source: type[_M] | models.QuerySet[_M], action: str = "view", *, path: str = "", **lookup: Any) -> _M:
    """One row the user may take the action on; 403 when the role may not, 404 (audited) when out of scope."""
    queryset = source if isinstance(source, models.QuerySet) else source._default_manager.all()
    check(user, queryset.model, action, path=path)
    found = restrict(queryset, user, action).filter(**lookup).first()
    if found is None:
        if _exists(queryset.model, lookup):
            _report(user, action, queryset.model, next(iter(lookup.values()), ""), "scope", path)
        raise Http404(_("找不到该记录，或它不在您的管辖范围内。"))
    return found


def _exists(model: type[models.Model], lookup: dict[str, Any]) -> bool:
    try:
        return model._default_manager.filter(**lookup).exists()
    except (ValueError, TypeError):
        return False


def permits(user: Any, obj: models.Model, action: str) -> bool:
    """Whether the user may take the action on this one row (for buttons and service guards)."""
    q = scope_q(user, type(obj), action)
    return q is not None and type(obj)._default_manager.filter(q, pk=obj.pk).exists()
