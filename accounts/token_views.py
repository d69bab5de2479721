"""Pages for API tokens and the second factor: the user's own tokens, and the administrator's view
of an account it manages (its tokens, and the reset of a lost authenticator)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import second_factor, tokens
from accounts.forms import TokenForm
from accounts.models import ApiToken, TokenKind, User
from accounts.views import _managed_users
from core.views import allow, obj_or_404, signed_in


@signed_in
def my_tokens(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST or None)
    new_key = ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        new_key = tokens.issue(user=user, name=d["name"], kind=TokenKind.NAMED, scope=d["scope"], days=d["days"]).key
        form = TokenForm()
    context = {"title": _("我的 API 令牌"), "tokens": tokens.live(user), "form": form, "new_key": new_key}
    return render(request, "accounts/tokens.html", context)


@allow(User)
def user_security(request: HttpRequest, pk: int) -> HttpResponse:
    target = obj_or_404(request, _managed_users(request), pk=pk)
    context = {
        "title": _("%(u)s 的 API 令牌与动态口令") % {"u": target.username},
        "tokens": tokens.live(target),
        "target": target,
        "has_device": second_factor.device(target) is not None,
    }
    return render(request, "accounts/tokens.html", context)


@require_POST
@signed_in
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=pk)
    if token.user_id != actor.pk:
        obj_or_404(request, _managed_users(request), "change", pk=token.user_id)  # outside one's accounts: 404
    tokens.revoke(actor=actor, token=token, reason=_("本人吊销") if token.user_id == actor.pk else _("管理员吊销"))
    messages.success(request, _("令牌 %(p)s… 已吊销。") % {"p": token.prefix})
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or "accounts:tokens")


@allow(User, "change")
@require_POST
def user_reset_otp(request: HttpRequest, pk: int) -> HttpResponse:
    target = obj_or_404(request, _managed_users(request), "change", pk=pk)
    try:
        second_factor.reset(actor=request.user, user=target)  # type: ignore[arg-type]
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已重置 %(u)s 的动态口令。") % {"u": target.username})
    return redirect("accounts:user_security", pk=pk)
