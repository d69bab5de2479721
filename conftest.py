"""Shared fixtures: the Shaanxi region codes loaded once per test database, and the personas."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, settings

from accounts.models import User
from accounts.roles import Role
from accounts.services import create_user
from households.idnumber import IdNumber, check_char, parse
from households.models import Household
from households.services import HouseholdInput, save_households

# Fixtures shared by the renovation and funds tests (users per level, a dangerous house, a craftsman).
pytest_plugins = ["renovation.tests.fixtures"]

PASSWORD = "Anju@2026test"
SUIDE_VILLAGE = "610826100201"  # a village of 名州镇, Suide county
SUIDE_VILLAGE_2 = "610826101200"
MIZHI_VILLAGE = "610827001245"  # Mizhi county, Suide's neighbour


# Property tests judge results, not speed: on a busy 2-core machine (tests run in parallel) the first
# draws can take over a second, which Hypothesis's timing checks would report as a failure.
settings.register_profile("anju", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("anju")

TEST_FIELD_KEY = "dGVzdC1vbmx5LWFuanUtZmllbGQta2V5LTMyLWJ5dGU="  # 32 bytes, tests only
TEST_AUDIT_KEY = "dGVzdC1vbmx5LWFuanUtYXVkaXQta2V5LTMyLWJ5dGU="  # 32 bytes, tests only


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    from audit import keys
    from core import crypto

    settings.ANJU_FIELD_KEY = TEST_FIELD_KEY
    crypto._keys.cache_clear()
    settings.ANJU_AUDIT_KEY = TEST_AUDIT_KEY
    settings.ANJU_AUDIT_OLD_KEYS = ""
    keys.keyring.cache_clear()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        call_command("load_regions", verbosity=0)


@pytest.fixture
def reference_data(transactional_db: Any) -> None:
    """Transactional tests empty every table after each test: put the reference data back."""
    from codetables import seed
    from codetables.models import CodeItem
    from regions.models import Region

    if not Region.objects.exists():
        call_command("load_regions", verbosity=0)
    if not CodeItem.objects.exists():
        seed.apply(CodeItem)


@pytest.fixture(autouse=True)
def _reference_for_transactional_tests(request: Any) -> None:
    """A test in real transactions (django_db(transaction=True)) finds the region codes and code
    tables whatever transactional test ran before it and emptied the tables."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("reference_data")


@pytest.fixture(autouse=True)
def _audit_anchors(settings: Any, tmp_path: Any) -> None:
    """Each test's audit anchors go to its own folder, never var/anchors (a test's anchors would
    name events that the next test's database does not have)."""
    settings.ANJU_AUDIT_ANCHOR_DIR = tmp_path / "anchors"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"  # uploads and photos of a test never reach var/
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Sign-ins through the login form or /api/auth/token/ ask no second factor unless a test turns it
    # on (accounts/tests/test_second_factor.py); force_login never asks it.
    settings.SECOND_FACTOR_CAPS = []
    from django.core.cache import cache

    cache.clear()


def make_user(username: str, region: str, *roles: str) -> User:
    return create_user(
        actor=None, username=username, password=PASSWORD, region_code=region, roles=list(roles) or [Role.COUNTY_STAFF]
    )


@pytest.fixture
def county_user(db: Any) -> User:
    return make_user("sd_county", "610826", Role.COUNTY_STAFF)


@pytest.fixture
def neighbour_user(db: Any) -> User:
    return make_user("mz_county", "610827", Role.COUNTY_STAFF)


@pytest.fixture
def city_user(db: Any) -> User:
    return make_user("yl_city", "6108", Role.SUPERVISOR)


def make_id(born: dt.date = dt.date(1968, 5, 12), seq: int = 123, area: str = "610826") -> str:
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + check_char(first17)


def household_input(
    head_id: str | None = None, village: str = SUIDE_VILLAGE, name: str = "郝建国", **fields: Any
) -> HouseholdInput:
    ident: IdNumber = parse(head_id or make_id())
    base: dict[str, Any] = {"family_size": 3, "phone": "13912345678", "group_name": "3组"}
    base.update(fields)
    return HouseholdInput(
        village_code=village,
        head_name=name,
        head_id=ident,
        fields=base,
        categories=["minimum_income"],
        category_source="民政局",
        dwelling={"structure_type": "cave_stone", "year_built": 1985, "floor_area": 62},
    )


def add_household(actor: User | None = None, **kwargs: Any) -> Any:
    outcome = save_households(actor=actor, inputs=[household_input(**kwargs)])[0]
    assert outcome.status == "created", outcome.reason
    return Household.objects.get(pk=outcome.household_id)


@pytest.fixture
def appraiser_user(db: Any) -> Any:
    return make_user("sd_appraiser", "610826", Role.APPRAISER)


def train_appraiser(county_user: Any, appraiser_user: Any) -> Any:
    """李鉴定, an appraiser of the county trained a month ago, linked to the appraiser's account."""
    from training.models import CourseKind, PersonKind
    from training.services import add_records, save_course, save_trainee

    person = save_trainee(
        actor=county_user, trainee=None,
        data={"name": "李鉴定", "kind": PersonKind.APPRAISER, "region_code": "610826000000", "organisation": "绥德县住建局"},
    )  # fmt: skip
    person.user = appraiser_user
    person.save(update_fields=["user"])
    day = dt.date.today() - dt.timedelta(days=30)
    course = save_course(
        actor=county_user, course=None,
        data={"title": "鉴定培训", "kind": CourseKind.APPRAISAL, "organiser": "市住建局", "start_date": day, "end_date": day,
              "region_code": "610826000000"},
    )  # fmt: skip
    add_records(actor=county_user, course=course, trainees=[person])
    return person


@pytest.fixture
def trained_appraiser(county_user: Any, appraiser_user: Any) -> Any:
    """李鉴定, an appraiser of the county trained a month ago, linked to the sd_appraiser account."""
    return train_appraiser(county_user, appraiser_user)


def token_for(user: User) -> str:
    """An API token's key for the user (accounts.tokens: expiring, revocable)."""
    from accounts.tokens import issue

    return issue(user=user, name="test").key
