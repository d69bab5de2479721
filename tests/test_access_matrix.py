"""Every route × every role × three places, against the access policy (accounts/policy.py).

The routes come from the URL resolver and the API router, so a new page or endpoint is tested the
day it is added: one without a policy declaration (@allow, @signed_in, @public on a page;
`policy_model` on an API view) fails `test_every_route_declares_its_access`, and one whose object
its test world lacks fails loudly here rather than going untested.

For each route, method and role, a user at their own region, in the neighbouring county and at
the city level above asks for the route with the world's objects of Suide (绥德县, 610826) in its
URL. Expected, from the policy table itself:
- a role none of whose capabilities is granted the route's action: 403 (or 405 for a wrong method);
- a role that may, on an object outside the grant's scope (the neighbour; a firm not handed the
  plan): 404;
- otherwise anything but 403, 404 or a server error.
Each refusal is audited. And a GET never changes state: no row of any business table changes and
no audit event but the access trail's is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.roles import Role
from audit.access import DENIED, READ_PERSONAL
from audit.models import AccessLog, AuditEvent
from conftest import MIZHI_VILLAGE, SUIDE_VILLAGE, add_household, make_id, make_user, train_appraiser
from core import policy
from core.viewsets import DEFAULT_ACTIONS

TODAY = dt.date.today()

PLACES = {
    "own": {Role.VILLAGE_CADRE: SUIDE_VILLAGE, Role.TOWN_STAFF: "610826100", "*": "610826"},
    "neighbour": {Role.VILLAGE_CADRE: MIZHI_VILLAGE, Role.TOWN_STAFF: "610827001", "*": "610827"},
    "above": {"*": "6108"},
}
# Routes that show no data of their own to anyone signed in, besides @signed_in pages.
NO_DATA = {"api-root", "api-schema", "api-docs", "api-redoc"}
# Tables a GET may write: the session (renewed on each request) and the access trail itself.
WRITABLE_ON_GET = {"django_session", "audit_auditevent", "audit_accesslog"}


@dataclass
class Route:
    name: str
    pattern: str
    callback: Any
    methods: dict[str, str | None] = field(default_factory=dict)  # method -> policy action (None: no data)
    model: str | None = None
    public: bool = False


def _walk(patterns: list[Any], prefix: str = "", ns: str = "") -> Iterator[tuple[str, str, Any]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), p.namespace or ns)
        elif isinstance(p, URLPattern):
            pattern = prefix + str(p.pattern)
            if "(?P<format>" in pattern or "<drf_format_suffix" in pattern:
                continue  # the same view with a format suffix
            yield pattern, f"{ns}:{p.name}" if ns else str(p.name), p.callback


def routes() -> list[Route]:
    found = []
    for pattern, name, cb in _walk(get_resolver().url_patterns):
        cls = getattr(cb, "cls", None) or getattr(cb, "view_class", None)
        route = Route(name, pattern, cb)
        access = getattr(cb, "access", None)
        if access is not None:
            route.model, route.public = access.model, not access.signed_in
            route.methods = {"GET": access.action_for("GET"), "POST": access.action_for("POST")} if access.model else {}
        elif cls is not None and getattr(cls, "policy_public", False):
            route.public = True
        elif cls is not None and hasattr(cls, "policy_model"):
            route.model = policy.label_of(cls.policy_model)
            actions = getattr(cb, "actions", None)  # a viewset: method -> viewset action
            table = {**DEFAULT_ACTIONS, **cls.policy_actions}
            if actions:
                route.methods = {m.upper(): table.get(a) for m, a in actions.items()}
            else:
                route.methods = {m.upper(): a for m, a in cls.policy_actions.items()}
        elif name in NO_DATA:
            route.methods = {"GET": None}
        found.append(route)
    return found


ROUTES = routes()


def test_every_route_declares_its_access() -> None:
    missing = [r.pattern for r in ROUTES if not r.public and r.model is None and r.name not in NO_DATA and not _signed_in(r)]
    assert missing == [], f"routes without an access declaration (core.views.allow / core.viewsets): {missing}"
    for r in ROUTES:
        if r.model:
            policy.policy_for(r.model)  # a policy entry exists
            assert all(a is not None for a in r.methods.values()), (r.pattern, r.methods)


def _signed_in(r: Route) -> bool:
    access = getattr(r.callback, "access", None)
    return access is not None and access.model is None and access.signed_in


# What the administrator's capabilities reach: accounts, code tables and their aliases, the county's village names.
ADMIN_LABELS = ("accounts.user", "codetables.codeitem", "codetables.codealias", "regions.regionalias")


def test_separation_of_duties_in_the_table() -> None:
    """三权分立: the auditor's capability opens the audit log only, the administrator's accounts and codes only."""
    from accounts.roles import ROLE_CAPS

    for label, pol in policy.registered().items():
        for action, grants in pol.actions.items():
            for g in grants:
                if ROLE_CAPS[Role.AUDITOR] & g.caps:
                    assert label.startswith("audit.") or label == "exchange.exportjob", (label, action)
                if ROLE_CAPS[Role.ADMIN] & g.caps:
                    assert label in ADMIN_LABELS, (label, action)


# --- the world -------------------------------------------------------------------------------------


def _build(tmp: Any) -> dict[str, Any]:
    from exchange.models import ImportJob
    from exchange.services import start_export
    from exchange.tasks import run_export
    from field.models import Conflict, EvidenceFlag, Photo
    from funds import services as funds
    from funds.models import SubsidyStandard
    from inspections import services as inspections
    from inspections.models import AppraisalTask, HouseSafety, SampleItem, SamplingPlan
    from renovation import notices, services
    from renovation.services import open_case
    from renovation.tests.fixtures import accepted_repair, appraise, make_craftsman, photo

    county = make_user("w_county", "610826", Role.COUNTY_STAFF)
    checker = make_user("w_checker", "610826", Role.COUNTY_STAFF)
    town = make_user("w_town", "610826100", Role.TOWN_STAFF)
    village = make_user("w_village", SUIDE_VILLAGE, Role.VILLAGE_CADRE)
    appraiser = make_user("w_appraiser", "610826", Role.APPRAISER)
    trainee = train_appraiser(county, appraiser)
    craftsman = make_craftsman(county)
    users = {
        (role, place): make_user(f"m_{role}_{place}", where.get(role, where["*"]), role)
        for place, where in PLACES.items()
        for role in Role.values
    }

    household = add_household(county, bank_name="陕西信合", bank_account="6230000000000012345")
    appraisal = appraise(appraiser, trainee, household, "C", TODAY - dt.timedelta(days=25))
    case = open_case(actor=village, house_id=household.houses.get().pk)
    case = accepted_repair(case, village, town, county, craftsman, appraiser, trainee)
    second = add_household(county, head_id=make_id(seq=777), name="白彩云")
    open_case_house = second.houses.get()
    appraise(appraiser, trainee, second, "D", TODAY - dt.timedelta(days=3))
    objection_case = open_case(actor=village, house_id=open_case_house.pk)
    services.transition(actor=village, case_id=objection_case.pk, action="village_review")  # objections come during a notice
    notices.publish(actor=village, level="village", scope=village.region_id, case_ids=[objection_case.pk], start_date=TODAY)
    objection = notices.record_objection(actor=village, case_id=objection_case.pk, content="评议有异议")
    campaign = inspections.start_campaign(
        actor=county, name="年度排查", kind="annual", scope="610826", start_date=TODAY, deadline=TODAY + dt.timedelta(days=30)
    )
    inspection, _ = inspections.record_inspection(
        actor=county,
        data=inspections.InspectionInput(
            household_id=second.pk, house_id=open_case_house.pk, inspected_on=TODAY, verdict="safe", inspector_name="张排查"
        ),
    )
    from funds.standards import request_exception

    exception = request_exception(actor=county, case_id=case.pk, mode="repair", amount=__import__("decimal").Decimal("6000"),
                                  reason="加固量大", document_no="绥政发〔2026〕3号")  # fmt: skip
    funds.allocate(actor=county, county="610826", year=case.year, level="province", document_no="陕财〔2026〕1号",
                   issued_on=TODAY, amount=__import__("decimal").Decimal("20000"))  # fmt: skip
    batch = funds.build_batch(actor=county, county="610826", year=case.year).batch
    assert batch is not None
    funds.approve_batch(actor=checker, batch_id=batch.pk)
    plan = SamplingPlan.objects.create(name="抽查", scope="610826", region_code="610826000000", seed=1, firm="第三方",
                                       appraised_from=TODAY - dt.timedelta(days=60), appraised_to=TODAY)  # fmt: skip
    plan.samplers.add(users[(Role.SAMPLER, "own")], users[(Role.SAMPLER, "above")])
    item = SampleItem.objects.create(plan=plan, stratum="610826100", original=appraisal, house=household.houses.get(),
                                     household=household, region_code=household.region_code)  # fmt: skip
    photo(town, case, "before")
    pic = Photo.objects.filter(record_uid=case.uid).first()
    pic.uploaded_by = users[(Role.TOWN_STAFF, "own")]  # type: ignore[union-attr]
    pic.save()  # type: ignore[union-attr]
    flag = EvidenceFlag.objects.create(kind="distance", household=household, region_code=household.region_code,
                                       record_kind="case", record_uid=case.uid, detail="远离房屋", worker=town)  # fmt: skip
    conflict = Conflict.objects.create(household=household, region_code=household.region_code, record_kind="inspection",
                                       record_uid=case.uid, worker=users[(Role.TOWN_STAFF, "own")], reason="版本不同",
                                       field_version={}, server_version={})  # fmt: skip
    (tmp / "errors.xlsx").write_bytes(b"PK")
    job = ImportJob.objects.create(created_by=users[(Role.COUNTY_STAFF, "own")], region_code="610826000000",
                                   file_path=str(tmp / "x.csv"), original_name="x.csv", status="validated",
                                   errors_path=str(tmp / "errors.xlsx"))  # fmt: skip
    export = start_export(user=users[(Role.COUNTY_STAFF, "own")], params={}, kind="households")
    run_export.call(str(export.pk))  # the worker's task, run here (on_commit never comes inside this transaction)
    export.refresh_from_db()
    return {
        "media": tmp / "media",
        "users": users,
        "households.household": household,
        "households.member": household.members.first() or _member(county, household),
        "households.house": household.houses.get(),
        "households.householdcategory": household.categories.first(),
        "renovation.case": case,
        "renovation.notice": case.notices.first() if hasattr(case, "notices") else notices.Notice.objects.first(),
        "renovation.objection": objection,
        "inspections.campaign": campaign,
        "inspections.inspection": inspection,
        "inspections.appraisal": appraisal,
        "inspections.appraisaltask": AppraisalTask.objects.first(),
        "inspections.housesafety": HouseSafety.objects.get(house=household.houses.get()),
        "inspections.samplingplan": plan,
        "inspections.sampleitem": item,
        "training.trainee": trainee,
        "training.course": trainee.records.first().course,
        "training.trainingrecord": trainee.records.first(),
        "funds.disbursementbatch": batch,
        "funds.subsidystandard": SubsidyStandard.objects.first(),
        "funds.subsidyexception": exception,
        "field.photo": pic,
        "field.evidenceflag": flag,
        "field.conflict": conflict,
        "exchange.importjob": job,
        "exchange.exportjob": export,
        "audit.auditevent": AuditEvent.objects.filter(region_code__startswith="610826").order_by("-id").first(),
        "codetables.codeitem": __import__("codetables.models", fromlist=["CodeItem"]).CodeItem.objects.first(),
        "codetables.codealias": __import__("codetables.models", fromlist=["CodeAlias"]).CodeAlias.objects.create(
            table="household_category", alias="低保户", code="minimum_income", region_code="610826"
        ),
        "accounts.user": users[(Role.VILLAGE_CADRE, "own")],
        "regions.region": __import__("regions.models", fromlist=["Region"]).Region.objects.get(code="610826"),
        "regions.regionalias": __import__("regions.models", fromlist=["RegionAlias"]).RegionAlias.objects.create(
            county="610826", alias="老龙湾", target_id="610826100204"
        ),
    }


def _member(actor: Any, household: Any) -> Any:
    from households.idnumber import parse
    from households.services import save_member

    return save_member(actor=actor, household=household, member=None, name="郝小平", relation="son",
                       id_number=parse(make_id(seq=901)))  # fmt: skip


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[dict[str, Any]]:
    """Built once for the module inside a transaction rolled back at its end; each test rolls back its own writes."""
    tmp = tmp_path_factory.mktemp("matrix")
    tasks = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp / "media", TASKS=tasks):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build(tmp)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# The object behind each URL argument: route name -> {argument: model label or a fixed value}.
ARGS: dict[str, dict[str, str]] = {
    "public_house": {"code": "=code"},
    "regions:detail": {"code": "=610826"},
    "households:member_edit": {"pk": "households.household", "member_pk": "households.member"},
    "households:member_delete": {"pk": "households.household", "member_pk": "households.member"},
    "households:category_edit": {"pk": "households.household", "category_pk": "households.householdcategory"},
    "households:house_edit": {"pk": "households.household", "house_pk": "households.house"},
    "households:house_delete": {"pk": "households.household", "house_pk": "households.house"},
    "inspections:inspect": {"pk": "households.household"},
    "inspections:household_safety": {"pk": "households.household"},
    "inspections:appraise": {"house_pk": "households.house"},
    "inspections:house_label": {"house_pk": "inspections.housesafety"},
    "inspections:sampling_review": {"pk": "inspections.sampleitem"},
    "renovation:open": {"house_pk": "households.house"},
    "renovation:objection": {"pk": "renovation.case"},
    "renovation:document": {"pk": "renovation.case", "kind": "=card"},
    "funds:bank_file": {"pk": "funds.disbursementbatch", "fmt": "=xlsx"},
    "funds:bank_return": {"pk": "funds.disbursementbatch"},
    "funds:decide_line": {"pk": "funds.disbursementbatch"},
    "exchange:import_action": {"pk": "exchange.importjob", "action": "=cancel"},
    "field:photo": {"uid": "field.photo"},
    "field:override": {"case_pk": "renovation.case"},
    "field-photo": {"uid": "field.photo"},
    "sampling-plan-items": {"pk": "inspections.samplingplan"},
    "sampling-plan-disagreements": {"pk": "inspections.samplingplan"},
    "campaign-progress": {"pk": "inspections.campaign"},
    "case-events": {"pk": "renovation.case"},
    "case-transition": {"pk": "renovation.case"},
    "batch-approve": {"pk": "funds.disbursementbatch"},
    "batch-bank-file": {"pk": "funds.disbursementbatch"},
    "batch-bank-return": {"pk": "funds.disbursementbatch"},
    "batch-payments": {"pk": "funds.disbursementbatch"},
    "batch-exclusions": {"pk": "funds.disbursementbatch"},
    "batch-decide-line": {"pk": "funds.disbursementbatch"},
    "batch-cancel": {"pk": "funds.disbursementbatch"},
}


# What a route is asked with, where its rule depends on it: an export's kind says what it needs
# (the auditor exports the audit log; the archive's readers their households).
BODIES = {"exchange:export_new": lambda user: {"kind": "audit" if user.has_role(Role.AUDITOR) else "households"}}


def _args(route: Route, world: dict[str, Any]) -> dict[str, Any] | None:
    names = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route.pattern)
    names = [a or b for a, b in names]
    if not names:
        return {}
    declared = ARGS.get(route.name, {})
    objects: dict[str, Any] = {}
    for arg in names:
        source = declared.get(arg) or (route.model if arg == "pk" else None)
        assert source, f"{route.name}: say which object its <{arg}> names (ARGS in this file)"
        if source.startswith("="):
            objects[arg] = world["inspections.housesafety"].code if source == "=code" else source[1:]
            continue
        obj = world.get(source)
        assert obj is not None, f"{route.name}: the test world has no {source}"
        objects[arg] = obj
    return objects


def _url(route: Route, objects: dict[str, Any]) -> str:
    def value(obj: Any, arg: str) -> str:
        if isinstance(obj, str):
            return obj
        return str(obj.uid if arg == "uid" else obj.pk)

    url = "/" + route.pattern.replace("^", "").replace("$", "")
    for arg, obj in objects.items():
        url = re.sub(rf"<(?:\w+:)?{arg}>|\(\?P<{arg}>[^)]*\)", value(obj, arg), url)
    return url


def _writes() -> dict[str, int]:
    """Rows written so far, per table in this transaction (PostgreSQL) or in all on this connection (SQLite)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables")
            return {t: n for t, n in cur.fetchall() if t not in WRITABLE_ON_GET and n}
        cur.execute("SELECT total_changes()")
        return {"*": cur.fetchone()[0], "reads": AccessLog.objects.count()}


def _expected(user: Any, route: Route, action: str | None, objects: dict[str, Any]) -> str:
    if action is None:
        return "ok"
    if not policy.allowed(user, route.model or "", action):
        return "forbidden"
    for obj in objects.values():
        if isinstance(obj, str):
            continue
        act = action if policy.label_of(type(obj)) == route.model else "view"
        if not policy.permits(user, obj, act):
            return "hidden"
    return "ok"


CHECKED = [r for r in ROUTES if r.methods]


@pytest.mark.parametrize("route", CHECKED, ids=[r.pattern for r in CHECKED])
def test_route_against_the_policy(route: Route, world: dict[str, Any], db: Any, settings: Any) -> None:
    settings.MEDIA_ROOT = world["media"]  # the world's photos and exports
    objects = _args(route, world)
    assert objects is not None
    url = _url(route, objects)
    places = PLACES if objects else {"own": PLACES["own"]}
    failures = []
    for method, action in route.methods.items():
        for place in places:
            for role in Role.values:
                user = world["users"][(role, place)]
                client = Client()
                client.force_login(user)
                expected = _expected(user, route, action, objects)
                before = _writes() if method == "GET" and expected == "ok" else None
                last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
                with transaction.atomic():
                    sid = transaction.savepoint()
                    body = BODIES[route.name](user) if method == "POST" and route.name in BODIES else {}
                    response = getattr(client, method.lower())(url, body)
                    status = response.status_code
                    problem = _judge(expected, status, place)
                    if problem is None and expected != "ok" and status != 405:  # a wrong method reveals nothing
                        written = AuditEvent.objects.filter(id__gt=last_event, verb=DENIED).exists()
                        problem = None if written else "refusal not audited"
                    if problem is None and before is not None:
                        problem = _unchanged(before, last_event)
                    transaction.savepoint_rollback(sid)
                if problem:
                    failures.append(f"{method} {url} as {role}@{place}: {problem} (got {status}, expected {expected})")
    assert failures == [], "\n".join(failures)


def _judge(expected: str, status: int, place: str) -> str | None:
    if status >= 500:
        return "server error"
    if expected == "forbidden":
        return None if status in (403, 405) else "a role the policy refuses was served"
    if expected == "hidden":
        return None if status in (404, 405) else "an object out of scope was not hidden"
    if status == 404:
        return "an object in scope was not found"
    if status == 403 and place != "above":  # a level above may meet rules of level (a notice is the county's)
        return "a role the policy allows was refused"
    return None


def _unchanged(before: dict[str, int], last_event: int) -> str | None:
    events = list(AuditEvent.objects.filter(id__gt=last_event).values_list("verb", flat=True))
    verbs = set(events) - {DENIED, READ_PERSONAL}
    if verbs:
        return f"GET wrote audit events {sorted(verbs)}"
    after = _writes()
    if connection.vendor != "postgresql":
        # SQLite counts every row written: the access trail's rows and the session's (saved on every
        # request, SESSION_SAVE_EVERY_REQUEST: at most a delete and an insert) are allowed.
        extra = after["*"] - before["*"] - len(events) - (after["reads"] - before["reads"]) - 2
        return f"GET wrote {extra} rows" if extra > 0 else None
    changed = sorted(t for t, n in after.items() if before.get(t, 0) != n)
    return f"GET changed {changed}" if changed else None
