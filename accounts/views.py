from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import second_factor, services, throttle
from accounts.forms import LoginForm, PasswordForm, SecondFactorForm, UserForm
from accounts.models import User
from accounts.passwords import change_required_reason
from core.paging import paginate
from core.views import allow, obj_or_404, public, restricted, signed_in

PENDING = "anju_second_factor_pending"
PENDING_SECONDS = 300


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else ""


def _complete_login(request: HttpRequest, user: User, target: str) -> HttpResponse:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")  # renews the session id
    notice = services.reset_notice(user)
    if notice:
        messages.warning(request, notice)
    return redirect(target or "home")


@public
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = services.attempt_login(username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if result.user is not None:
            if second_factor.required(result.user):
                request.session.cycle_key()
                request.session[PENDING] = {"uid": result.user.pk, "at": time.time(), "next": _safe_next(request)}
                return redirect("accounts:second_factor")
            return _complete_login(request, result.user, _safe_next(request))
        error = result.error
    return render(request, "accounts/login.html", {"form": form, "error": error})


@public
def second_factor_view(request: HttpRequest) -> HttpResponse:
    """After the password: the code from the authenticator, or its enrolment the first time."""
    pending = request.session.get(PENDING) or {}
    user = User.objects.filter(pk=int(pending.get("uid") or 0), is_active=True).first()
    if user is None or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.info(request, _("请重新输入用户名和密码。"))
        return redirect("accounts:login")
    device = second_factor.device(user)
    enrolling = device is None
    if device is None:
        device = second_factor.new_device(user, pending.get("key", ""))
        if pending.get("key") != device.key:
            request.session[PENDING] = {**pending, "key": device.key}
    check = second_factor.verify_new if enrolling else second_factor.verify
    form = SecondFactorForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = services.check_second_factor(user=user, code=form.cleaned_data["code"], verify=lambda code: check(device, code))
        if result.user is not None:
            if enrolling:
                second_factor.confirm(user, device)
            request.session.pop(PENDING, None)
            return _complete_login(request, user, pending.get("next", ""))
        error = result.error
        if result.locked:
            request.session.pop(PENDING, None)
    context = {"form": form, "error": error, "enrolling": enrolling, "user_name": user.display_name}
    if enrolling:
        context.update(qr=second_factor.qr_svg(device), secret=second_factor.secret(device))
    return render(request, "accounts/second_factor.html", context)


@require_POST
@signed_in
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.logged_out(request.user)  # type: ignore[arg-type]
    logout(request)
    return redirect("accounts:login")


@signed_in
def password_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            checked = services.change_own_password(user=user, old_password=d["old_password"], new_password=d["new_password"])
        except ValidationError as exc:
            form.add_error("new_password", exc)
        else:
            if checked.locked:
                logout(request)
                messages.error(request, checked.error)
                return redirect("accounts:login")
            if checked.user is None:
                form.add_error("old_password", checked.error)
            else:
                update_session_auth_hash(request, user)
                messages.success(request, _("密码已修改。"))
                return redirect("home")
    notice = services.reset_notice(user) or change_required_reason(user)
    return render(request, "accounts/password.html", {"form": form, "notice": notice})


def _managed_users(request: HttpRequest):  # type: ignore[no-untyped-def]
    return restricted(request, User.objects.select_related("region"))


@allow(User)
def user_list(request: HttpRequest) -> HttpResponse:
    qs = _managed_users(request).order_by("region_id", "username")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(username__icontains=q) | qs.filter(first_name__icontains=q)
    page = paginate(qs, request.GET.get("page"))
    locked = throttle.locked_names([u.username for u in page.items])
    return render(request, "accounts/user_list.html", {"page": page, "q": q, "query": f"q={q}", "locked": locked})


@allow(User, "change")
def user_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    target = obj_or_404(request, _managed_users(request), "change", pk=pk) if pk else None
    initial = {}
    if target:
        initial = {
            "username": target.username,
            "full_name": target.first_name,
            "phone": target.phone,
            "region": target.region_id,
            "roles": sorted(target.role_set),
            "is_active": target.is_active,
        }
    form = UserForm(request.POST or None, initial=initial)
    if target:
        form.fields["username"].disabled = True
        form.fields["password"].label = _("重置密码（一次性密码，本人下次登录时须修改）")
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            if target is None:
                if not d["password"]:
                    raise ValidationError({"password": _("请设置初始密码。")})
                services.create_user(
                    actor=actor,
                    username=d["username"],
                    password=d["password"],
                    region_code=d["region"],
                    roles=d["roles"],
                    full_name=d["full_name"],
                    phone=d["phone"],
                )
            else:
                services.update_user(
                    actor=actor,
                    user=target,
                    region_code=d["region"],
                    roles=d["roles"],
                    full_name=d["full_name"],
                    phone=d["phone"],
                    is_active=d["is_active"],
                )
                if d["password"]:
                    services.set_password(actor=actor, user=target, password=d["password"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error("password" if "密码" in " ".join(exc.messages) else None, exc)
        except PermissionDenied as exc:
            form.add_error("region", str(exc))
        else:
            messages.success(request, _("账号已保存。"))
            return redirect("accounts:users")
    title = _("编辑用户 %(u)s") % {"u": target.username} if target else _("新建用户")
    return render(request, "core/form_page.html", {"form": form, "title": title, "cancel_url": reverse("accounts:users")})


@allow(User, "change")
@require_POST
def user_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    target = obj_or_404(request, _managed_users(request), "change", pk=pk)
    services.unlock_user(actor=request.user, user=target)  # type: ignore[arg-type]
    messages.success(request, _("账号 %(u)s 已解锁。") % {"u": target.username})
    return redirect("accounts:users")
