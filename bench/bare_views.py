"""The raw limit of an ID lookup on this stack: a plain Django view, no DRF, no token, no policy, no audit,
doing the same indexed query (blind index within a region range) and returning the same JSON."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from core.scoping import code_range
from households import filters
from households.api import HEADS_BY_ID, household_payload

LOW, HIGH = code_range("61")


@csrf_exempt
def bare_lookup(request: HttpRequest) -> JsonResponse:
    number = json.loads(request.body)["id_number"]
    found = HEADS_BY_ID.run(low=LOW, high=HIGH, digest=filters.id_digest(number))
    return JsonResponse([household_payload(h) for h in found], safe=False)
