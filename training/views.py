from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core.errors import ConflictError
from core.masking import mask_id_number, mask_phone
from core.paging import paginate
from core.views import allow, form_errors, obj_or_404, restricted, user_of
from training import selectors, services
from training.forms import CourseForm, EnrolForm, LedgerFilterForm, TraineeForm
from training.models import Course, Trainee


def _require_view(request: HttpRequest) -> None:
    if not selectors.can_view(user_of(request)):
        raise PermissionDenied(_("您的角色无权访问此页面。"))


@allow("training.TrainingRecord")
def ledger(request: HttpRequest) -> HttpResponse:
    form = LedgerFilterForm(request.GET or None)
    params = {k: v for k, v in (form.cleaned_data if form.is_valid() else {}).items() if v}
    page = paginate(selectors.ledger(user_of(request), params), request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "training/ledger.html", {
        "form": form, "page": page, "day": form.day(), "query": query.urlencode(),
    })  # fmt: skip


@allow(Trainee, post="change")
def trainee_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = user_of(request)
    trainee = obj_or_404(request, Trainee, pk=pk) if pk else None
    initial: dict[str, Any] = {"region_code": user.region_id}
    if trainee:
        initial = {f: getattr(trainee, f) for f in services.TRAINEE_FIELDS}
        initial["region_code"] = trainee.region_code.rstrip("0") if len(trainee.region_code.rstrip("0")) >= 2 else ""
        initial |= {"id_number": mask_id_number(trainee.id_number), "phone": mask_phone(trainee.phone)}
    form = TraineeForm(request.POST or None, initial=initial)
    if trainee:  # masked numbers are shown; leave them blank to keep
        form.fields["id_number"].help_text = _("留空表示不修改（当前：%(v)s）") % {"v": mask_id_number(trainee.id_number)}
        form.fields["phone"].help_text = _("留空表示不修改（当前：%(v)s）") % {"v": mask_phone(trainee.phone)}
        form.initial.pop("id_number", None)
        form.initial.pop("phone", None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if trainee:
            data = {k: val for k, val in data.items() if k not in ("id_number", "phone") or val}
        try:
            version = int(request.POST.get("version") or 0) or None
            saved = services.save_trainee(actor=user, trainee=trainee, data=data, version=version)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        except PermissionDenied as exc:
            form.add_error("region_code", str(exc))
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("training:trainee", pk=saved.pk)
    records = trainee.records.select_related("course").order_by("-issued_on") if trainee else []
    return render(request, "training/trainee.html", {
        "form": form, "trainee": trainee, "records": records, "version": trainee.version if trainee else None,
    })  # fmt: skip


@allow(Course)
def courses(request: HttpRequest) -> HttpResponse:
    page = paginate(restricted(request, Course), request.GET.get("page"))
    return render(request, "training/courses.html", {"page": page})


@allow(Course, post="change")
def course_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = user_of(request)
    course = obj_or_404(request, Course, pk=pk) if pk else None
    form = CourseForm(request.POST or None, instance=course, prefix="course")
    enrol = EnrolForm(request.POST or None, trainees=restricted(request, Trainee).filter(is_active=True), prefix="enrol")
    if request.method == "POST":
        try:
            if "enrol-trainees" in request.POST and course and enrol.is_valid():
                made = services.add_records(actor=user, course=course, trainees=enrol.cleaned_data["trainees"],
                                            issued_on=enrol.cleaned_data["issued_on"], passed=enrol.cleaned_data["passed"],
                                            certificate_prefix=enrol.cleaned_data["certificate_prefix"])  # fmt: skip
                messages.success(request, _("已登记 %(n)d 人的培训记录。") % {"n": len(made)})
                return redirect("training:course", pk=course.pk)
            if "enrol-trainees" not in request.POST and form.is_valid():
                data = {f: form.cleaned_data[f] for f in CourseForm.Meta.fields}
                data["region_code"] = course.region_code if course else (user.region_id or "").ljust(12, "0")
                saved = services.save_course(actor=user, course=course, data=data)
                messages.success(request, _("已保存。"))
                return redirect("training:course", pk=saved.pk)
        except ValidationError as exc:
            form_errors(form, exc)
    records = course.records.select_related("trainee").order_by("trainee__name") if course else []
    return render(request, "training/course.html", {"form": form, "enrol": enrol, "course": course, "records": records})
