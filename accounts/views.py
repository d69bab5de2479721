from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import LoginForm, PasswordForm, UserForm
from accounts.models import User
from audit.services import record
from core.paging import paginate
from core.views import allow, obj_or_404, public, restricted, signed_in


@public
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = services.attempt_login(username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if result.user is not None:
            login(request, result.user)  # renews the session id
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = ""
            return redirect(target or "home")
        error = result.error
    return render(request, "accounts/login.html", {"form": form, "error": error})


@require_POST
@signed_in
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record("auth.logout", actor=request.user, obj=request.user, region_code=request.user.region_id or "")
    logout(request)
    return redirect("accounts:login")


@signed_in
def password_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not user.check_password(form.cleaned_data["old_password"]):
            form.add_error("old_password", _("原密码不正确。"))
        else:
            try:
                services.set_password(actor=user, user=user, password=form.cleaned_data["new_password"])
            except ValidationError as exc:
                form.add_error("new_password", exc)
            else:
                login(request, user)
                messages.success(request, _("密码已修改。"))
                return redirect("home")
    return render(request, "core/form_page.html", {"form": form, "title": _("修改密码"), "cancel_url": reverse("home")})


def _managed_users(request: HttpRequest):  # type: ignore[no-untyped-def]
    return restricted(request, User.objects.select_related("region"))


@allow(User)
def user_list(request: HttpRequest) -> HttpResponse:
    qs = _managed_users(request).order_by("region_id", "username")
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(username__icontains=q) | qs.filter(first_name__icontains=q)
    page = paginate(qs, request.GET.get("page"))
    return render(request, "accounts/user_list.html", {"page": page, "q": q, "query": f"q={q}"})


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
