"""The Content-Security-Policy violation report endpoint (the policy's report-uri, settings.CSP_REPORT_URL).

Browsers post a small JSON document for each violation; it is logged (logger "anju.csp") so an operator
sees a page that breaks the policy or an injection attempt. Nothing is written to the database: the
endpoint is open to anyone, so it must not be a way to fill a table.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.views import public

logger = logging.getLogger("anju.csp")

MAX_REPORT_BYTES = 16 * 1024
FIELDS = ("document-uri", "violated-directive", "effective-directive", "blocked-uri", "source-file", "line-number")


def parse(body: bytes) -> dict[str, Any] | None:
    """The fields worth logging from a report (report-uri's {"csp-report": {...}} or a Reporting API list)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(data, list) and data and isinstance(data[0], dict):  # application/reports+json
        data = {"csp-report": data[0].get("body", {})}
    report = data.get("csp-report") if isinstance(data, dict) else None
    if not isinstance(report, dict):
        return None
    found = {key: str(report.get(key, ""))[:300] for key in FIELDS}
    found["sample"] = str(report.get("script-sample", ""))[:80]
    return found


@public
@csrf_exempt
@require_POST
def report(request: HttpRequest) -> HttpResponse:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    found = parse(request.read(MAX_REPORT_BYTES))
    if found is None:
        return HttpResponse(status=400)
    logger.warning("CSP violation: %s", json.dumps(found, ensure_ascii=False))
    return HttpResponse(status=204)
