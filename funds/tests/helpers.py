"""What the funds tests share: a signed-in page client, an API client with a token, Chinese text."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from conftest import PASSWORD, token_for

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
