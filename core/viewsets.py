"""The access policy on every API endpoint (core.policy): the base viewset and view of every API resource.

Kept apart from core.api, which DRF's settings import (pagination, the exception handler)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.http import Http404
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.views import APIView

from core import policy

DEFAULT_ACTIONS = {
    "list": "view",
    "retrieve": "view",
    "create": "change",
    "update": "change",
    "partial_update": "change",
    "destroy": "change",
}


class PolicyMixin:
    """Refuses (403, audited) a caller none of whose roles may take the endpoint's action on `policy_model`,
    before the handler runs; subclasses read rows only through `restricted()` / `get_object()`.

    `policy_actions` maps a viewset action or an HTTP method (lower case) to the policy's action."""

    policy_model: ClassVar[str]
    policy_actions: ClassVar[dict[str, str]] = {}
    request: Any

    def policy_action(self) -> str:
        name = getattr(self, "action", None) or self.request.method.lower()  # type: ignore[union-attr]
        found = self.policy_actions.get(name) or DEFAULT_ACTIONS.get(name)
        if found is None:
            raise ImproperlyConfigured(f"{type(self).__name__}: no policy action for {name!r}")
        return found

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        policy.check(request.user, self.policy_model, self.policy_action(), path=request.path)

    def restricted(self, queryset: QuerySet[Any] | None = None, action: str | None = None) -> QuerySet[Any]:
        qs = queryset if queryset is not None else policy.model_of(self.policy_model)._default_manager.all()
        return policy.restrict(qs, self.request.user, action or self.policy_action())

    def object_or_404(self, source: Any, action: str | None = None, **lookup: Any) -> Any:
        return policy.get_or_404(self.request.user, source, action or self.policy_action(), path=self.request.path, **lookup)


class PolicyViewSet(PolicyMixin, viewsets.GenericViewSet):  # type: ignore[misc]
    """Base of every API viewset: `base_queryset()` narrowed by the policy for the endpoint's action."""

    def base_queryset(self) -> QuerySet[Any]:
        return policy.model_of(self.policy_model)._default_manager.all()

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return policy.model_of(self.policy_model)._default_manager.none()
        return self.restricted(self.base_queryset())

    def get_object(self) -> Any:
        lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if lookup is not None and self.lookup_field == "pk" and not str(lookup).isdigit():
            raise Http404
        return self.object_or_404(self.filter_queryset(self.get_queryset()), **{self.lookup_field: lookup})


class PolicyAPIView(PolicyMixin, APIView):
    """Base of the API's plain views (the field app's): the policy action is chosen per HTTP method."""


# Hooks called as hook(actor=, object_type=, object_ids=, fields=, path=) after a read of personal data.
on_personal_read: list[Any] = []


def _ids(data: Any, key: str) -> list[Any]:
    rows = data.get(key, [data]) if isinstance(data, dict) else data if isinstance(data, list) else []
    return [r["id"] for r in rows if isinstance(r, dict) and "id" in r]


class PersonalDataMixin:
    """API reads that return people's names with their ID, phone or bank numbers are audited
    (who read which rows, through which endpoint), masked or not."""

    personal_actions: ClassVar[tuple[str, ...]] = ("list", "retrieve", "lookup")  # viewset actions or HTTP methods
    personal_fields: ClassVar[tuple[str, ...]] = ("name", "id_number", "phone", "bank_account")
    personal_rows: ClassVar[str] = "results"  # where a payload lists its rows

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        name = getattr(self, "action", None) or (request.method or "").lower()
        if response.status_code == 200 and name in self.personal_actions:
            ids = _ids(response.data, self.personal_rows)
            if ids:
                label = policy.label_of(self.policy_model)  # type: ignore[attr-defined]
                for hook in on_personal_read:
                    hook(actor=request.user, object_type=label, object_ids=ids, fields=self.personal_fields, path=request.path)
        return response
