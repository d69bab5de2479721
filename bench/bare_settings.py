"""The project's settings with one more URL: the bare lookup the API is compared with (bench only)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bare_urls"
