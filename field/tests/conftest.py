from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from accounts.roles import Role
from conftest import add_household, make_user
from households.models import House

HOUSE_POINT = (Decimal("37.500000"), Decimal("110.250000"))


@pytest.fixture
def town_user(db: Any) -> Any:
    return make_user("sd_town", "610826100", Role.TOWN_STAFF)


@pytest.fixture
def household(county_user: Any) -> Any:
    h = add_household(county_user)
    House.objects.filter(household=h).update(latitude=HOUSE_POINT[0], longitude=HOUSE_POINT[1])
    return h
