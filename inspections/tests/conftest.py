from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.roles import Role
from conftest import make_user
from training.models import CourseKind, PersonKind, Trainee
from training.services import add_records, save_course, save_trainee


@pytest.fixture
def appraiser_user(db: Any) -> Any:
    return make_user("sd_appraiser", "610826", Role.APPRAISER)


@pytest.fixture
def trained_appraiser(county_user: Any, appraiser_user: Any) -> Trainee:
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
