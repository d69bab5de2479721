from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from training import services
from training.models import CourseKind, PersonKind, Trainee


def make_trainee(actor: Any, name: str = "李鉴定", kind: str = PersonKind.APPRAISER, region: str = "610826000000") -> Trainee:
    return services.save_trainee(
        actor=actor, trainee=None, data={"name": name, "kind": kind, "region_code": region, "organisation": "县住建局"}
    )


def train(actor: Any, trainee: Trainee, kind: str = CourseKind.APPRAISAL, day: dt.date = dt.date(2026, 3, 15)) -> None:
    course = services.save_course(
        actor=actor,
        course=None,
        data={"title": "农房安全性鉴定培训", "kind": kind, "organiser": "市住建局", "start_date": day, "end_date": day,
              "region_code": "610826000000"},
    )  # fmt: skip
    services.add_records(actor=actor, course=course, trainees=[trainee], certificate_prefix="SD2026-")


def test_training_is_valid_for_one_year(county_user: Any) -> None:
    person = make_trainee(county_user)
    train(county_user, person)
    record = person.records.get()
    assert record.valid_until == dt.date(2027, 3, 14) and record.certificate_no.startswith("SD2026-")
    services.require_trained([person], "appraisal", dt.date(2026, 6, 1))
    with pytest.raises(ValidationError, match="李鉴定 在 2027-03-15 没有有效的鉴定培训记录"):
        services.require_trained([person], "appraisal", dt.date(2027, 3, 15))
    with pytest.raises(ValidationError, match="没有有效的鉴定培训记录"):
        services.require_trained([person], "appraisal", dt.date(2026, 3, 1))  # before the course


def test_the_course_kind_must_fit_the_work(county_user: Any) -> None:
    person = make_trainee(county_user, "王工匠", PersonKind.CRAFTSMAN)
    train(county_user, person, CourseKind.CONSTRUCTION)
    services.require_trained([person], "construction", dt.date(2026, 5, 1))
    with pytest.raises(ValidationError, match="王工匠"):
        services.require_trained([person], "appraisal", dt.date(2026, 5, 1))


def test_leap_day_certificate() -> None:
    assert services.default_valid_until(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


def test_ledger_writes_are_scoped_and_audited(county_user: Any, neighbour_user: Any, city_user: Any) -> None:
    from audit.models import AuditEvent

    person = make_trainee(county_user)
    with pytest.raises(PermissionDenied):
        make_trainee(neighbour_user)  # Mizhi staff cannot register a Suide person
    with pytest.raises(PermissionDenied):
        make_trainee(city_user)  # supervisors read, they do not keep the ledger
    assert AuditEvent.objects.filter(verb="training.trainee_save", object_id=str(person.pk)).exists()
    assert list(Trainee.objects.visible_to(neighbour_user)) == []
