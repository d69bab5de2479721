from __future__ import annotations

from typing import Any

import pytest

from accounts.roles import Role
from conftest import make_user


@pytest.fixture
def checker(db: Any) -> Any:
    """The county's second person, who approves what the county official (sd_county) made or asked for."""
    return make_user("sd_checker", "610826", Role.COUNTY_STAFF)
