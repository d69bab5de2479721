"""Text longer than its column, as the API and the field sync can send it, is refused by the services in
Chinese (on PostgreSQL it was a 500): an appraisal's organisation and site note."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from conftest import add_household
from inspections import services
from inspections.models import Appraisal
from renovation.tests.fixtures import TODAY


@pytest.mark.parametrize(("field", "value"), [("organisation", "绥德县住建局" * 30), ("site_note", "滑坡" * 120)])
def test_an_overlong_appraisal_text_is_refused_in_chinese(
    county_user: Any, appraiser_user: Any, trained_appraiser: Any, field: str, value: str
) -> None:
    household = add_household(county_user)
    data = services.AppraisalInput(
        house_id=household.houses.get().pk,
        appraised_on=TODAY,
        components={"foundation": "a", "walls": "c", "roof": "a"},
        prevention="partly",
        appraiser_ids=[trained_appraiser.pk],
        organisation="绥德县住建局",
    )
    setattr(data, field, value)
    with pytest.raises(ValidationError, match="最多"):
        services.record_appraisal(actor=appraiser_user, data=data)
    assert not Appraisal.objects.exists()
