"""Shared API plumbing: pagination, errors, and the scoped base viewset."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from core import context
from core.errors import ConflictError

logger = logging.getLogger("anju.api")


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc: Exception, context_: dict[str, Any]) -> Response | None:
    """Known refusals become 400/403/404/409 with their Chinese message. Anything else is a bug: it is
    logged with its traceback and the request id, and the client gets a 500 with that id only."""
    if isinstance(exc, ConflictError):
        set_rollback()
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, exceptions.ParseError):  # DRF's parser messages are English and name the parser's internals
        exc = exceptions.ParseError(_("请求内容无法解析，请检查格式（例如 JSON 是否完整、编码是否为 UTF-8）。"))
    elif isinstance(exc, SuspiciousOperation):  # what Django itself answers 400, e.g. too many form fields
        logging.getLogger(f"django.security.{type(exc).__name__}").warning("%s", exc)
        too_much = isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent)
        exc = exceptions.ValidationError(
            {"detail": _("请求内容过大或字段过多。") if too_much else _("请求不符合要求，已被拒绝。")}
        )
    response = drf_exception_handler(exc, context_)
    if response is not None or isinstance(exc, (exceptions.APIException, Http404)):
        return response
    return server_error(exc, context_)


def server_error(exc: Exception, context_: dict[str, Any]) -> Response:
    request_id = context.current().request_id
    request = context_.get("request")
    logger.error(
        "Unhandled API error %s on %s %s (request %s)",
        type(exc).__name__,
        getattr(request, "method", "?"),
        getattr(request, "path", "?"),
        request_id,
        exc_info=exc,
    )
    set_rollback()
    body = {"detail": _("服务器内部错误，请稍后重试；如果仍然出错，请把请求编号告诉系统管理员。"), "request_id": request_id}
    return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
