"""Pages of third-party sampling: plans, the draw, the firm's worklist, disagreements (screen and Excel)."""

from __future__ import annotations

import random

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Cap, Role
from core.paging import paginate
from core.uploads import send_temporary, temp_path
from core.views import allow, form_errors, obj_or_404, restricted, user_of
from exchange.xlsx_stream import write_rows_fast
from inspections import sampling, services
from inspections.forms import SamplingPlanForm
from inspections.models import Appraisal, SampleItem, SampleStatus, SamplingPlan
from inspections.views import appraisal_page
from training.models import PersonKind, Trainee


def _sampler_choices(user: User) -> list[tuple[int, str]]:
    region = user.region_id or ""
    people = User.objects.filter(is_active=True, roles__contains=Role.SAMPLER)
    inside = [u for u in people if (u.region_id or "").startswith(region) or region.startswith(u.region_id or "-")]
    return [(u.pk, f"{u.display_name}（{u.username}）") for u in inside if u.has_role(Role.SAMPLER)]


@allow(SamplingPlan)
def plans(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    page = paginate(restricted(request, sampling.plans_for(user)), request.GET.get("page"))
    return render(request, "inspections/sampling_plans.html", {"page": page})


@allow(SamplingPlan, "change")
def plan_new(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    form = SamplingPlanForm(request.POST or None, user=user, samplers=_sampler_choices(user),
                            initial={"seed": random.SystemRandom().randrange(1, 10**6)})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = sampling.PlanInput(
            name=d["name"], scope=d["scope"], stratum_level=d["stratum_level"], seed=d["seed"], ratio=d["ratio"],
            size=d["size"], appraised_from=d["appraised_from"], appraised_to=d["appraised_to"], firm=d["firm"],
            sampler_ids=[int(x) for x in d["samplers"]],
        )  # fmt: skip
        try:
            plan = sampling.create_plan(actor=user, data=data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(
                request, _("已从 %(p)d 户已鉴定房屋中抽取 %(n)d 户。") % {"p": plan.population, "n": plan.item_count}
            )
            return redirect("inspections:sampling_plan", pk=plan.pk)
    return render(request, "core/form_page.html", {"form": form, "title": _("第三方抽查抽样"), "form_id": "sampling-form"})


def _plan(request: HttpRequest, pk: int) -> tuple[User, SamplingPlan, QuerySet[SampleItem]]:
    user = user_of(request)
    plan = obj_or_404(request, SamplingPlan, pk=pk)
    return user, plan, restricted(request, sampling.items_for(user, plan))


@allow(SamplingPlan)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, plan, items = _plan(request, pk)
    status = request.GET.get("status", "")
    listed = items.filter(status=status) if status in SampleStatus.values else items
    q = request.GET.get("q", "").strip()
    if q:
        listed = listed.filter(Q(household__head_name__contains=q) | Q(region_code__startswith=q))
    page = paginate(listed.select_related("household", "house", "review").order_by("status", "region_code", "id"),
                    request.GET.get("page"))  # fmt: skip
    is_firm = plan.samplers.filter(pk=user.pk).exists()
    return render(request, "inspections/sampling_plan.html", {
        "plan": plan, "strata": sampling.strata(items), "page": page, "status": status, "q": q, "is_firm": is_firm,
        "show_original": user.can(Cap.VIEW_ARCHIVE),
    })  # fmt: skip


@allow(SamplingPlan, "export")
def disagreements(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    _, plan, items = _plan(request, pk)
    if request.GET.get("format") == "xlsx":
        path = temp_path(".xlsx")
        write_rows_fast(path, title=f"{plan.name} 鉴定结论不一致清单", header=sampling.DISAGREEMENT_HEADER,
                        rows=sampling.disagreement_rows(items), widths=[12, 16, 8, 24, 8, 12, 40, 8, 12, 40])  # fmt: skip
        return send_temporary(path, f"{plan.name}_结论不一致清单.xlsx")
    page = paginate(sampling.disagreements(items), request.GET.get("page"))
    return render(request, "inspections/sampling_disagreements.html", {"plan": plan, "page": page})


@allow(SampleItem, "change")
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The firm re-appraises a sampled house on the same national form, without seeing the original grade."""
    user = user_of(request)
    item = obj_or_404(request, SampleItem.objects.select_related("plan", "house__household", "review"), "change", pk=pk)
    if item.review is not None:
        return redirect("inspections:appraisal", pk=item.review.pk)
    people = Trainee.objects.filter(is_active=True, kind__in=[PersonKind.APPRAISER, PersonKind.FIRM])
    people = people.filter(Q(user=user) | Q(organisation=item.plan.firm)).order_by("name")
    choices = [(t.pk, t.name) for t in people]

    def save(data: services.AppraisalInput) -> Appraisal:
        return sampling.resample(actor=user, item=item, data=data)

    return appraisal_page(request, item.house, choices, save, {"sample_item": item, "initial": {"organisation": item.plan.firm}})
