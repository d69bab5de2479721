"""Settings for Anju. Everything a deployment changes comes from the environment (see README)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ANJU_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("ANJU_DEBUG", "1") == "1"
SECRET_KEY = os.environ.get("SECRET_KEY", "anju-development-only-secret-key-change-me-in-production")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "core",
    "regions",
    "codetables",
    "accounts",
    "audit",
    "households",
    "exchange",
    "training",
    "inspections",
    "field",
    "renovation",
    "funds",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.uploads.BodySizeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.IdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'anju.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing halfway through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# SQLite ignores the covering columns of PostgreSQL INCLUDE indexes; that is expected, not a problem.
SILENCED_SYSTEM_CHECKS = ["models.W040"]
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "accounts.passwords.ComplexityValidator", "OPTIONS": {"min_length": 8, "min_kinds": 3}},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions expire after 30 idle minutes (accounts.middleware.IdleTimeoutMiddleware renews the
# expiry on each request; the cookie itself dies with the browser).
SESSION_IDLE_SECONDS = 30 * 60
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

LOCKOUT_FAILURES = 5
LOCKOUT_SECONDS = 30 * 60

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "static_root"

MEDIA_ROOT = Path(os.environ.get("ANJU_MEDIA_ROOT", VAR_DIR / "media"))

# Uploads, spreadsheets and retention (ADR 0020, docs/operations.md). Sizes are enforced while the
# body arrives: multipart uploads stop past ANJU_MAX_UPLOAD_MB, other bodies past DATA_UPLOAD_MAX_MEMORY_SIZE.
ANJU_TMP_DIR = VAR_DIR / "tmp"  # temporary files (bank files, PDFs, uploads on their way), never /tmp
ANJU_TMP_DIR.mkdir(mode=0o700, exist_ok=True)
FILE_UPLOAD_TEMP_DIR = str(ANJU_TMP_DIR)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # larger uploads go to FILE_UPLOAD_TEMP_DIR, not memory
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
ANJU_MAX_UPLOAD_MB = int(os.environ.get("ANJU_MAX_UPLOAD_MB", "200"))
ANJU_MAX_PHOTO_MB = int(os.environ.get("ANJU_MAX_PHOTO_MB", "10"))
ANJU_MAX_IMAGE_PIXELS = int(os.environ.get("ANJU_MAX_IMAGE_PIXELS", "40000000"))
ANJU_IMPORT_MAX_ROWS = int(os.environ.get("ANJU_IMPORT_MAX_ROWS", "500000"))
ANJU_IMPORT_MAX_COLUMNS = int(os.environ.get("ANJU_IMPORT_MAX_COLUMNS", "200"))
ANJU_IMPORT_MAX_CELLS = int(os.environ.get("ANJU_IMPORT_MAX_CELLS", "15000000"))
ANJU_XLSX_MAX_UNCOMPRESSED_MB = int(os.environ.get("ANJU_XLSX_MAX_UNCOMPRESSED_MB", "1024"))
ANJU_CSV_MAX_LINE_BYTES = int(os.environ.get("ANJU_CSV_MAX_LINE_BYTES", "100000"))
# Imported files, their error files and exports are deleted this many days after they were made
# (`manage.py purge_expired_files`, run daily); the job rows and their audit events stay.
ANJU_RETENTION_DAYS = int(os.environ.get("ANJU_RETENTION_DAYS", "30"))
ANJU_RETENTION_PURGERS = ["exchange.retention.purge", "field.retention.purge"]

# The key that encrypts ID, phone and bank numbers. It never lives in the database: either the
# environment variable (base64 of 32 random bytes) or a key file outside the database.
ANJU_FIELD_KEY = os.environ.get("ANJU_FIELD_KEY", "")
ANJU_FIELD_KEY_FILE = Path(os.environ.get("ANJU_FIELD_KEY_FILE", VAR_DIR / "keys" / "field.key"))

# The address printed in house labels' QR codes: how a phone outside reaches this server.
ANJU_PUBLIC_URL = os.environ.get("ANJU_PUBLIC_URL", "http://127.0.0.1:8000")
# The browser that prints PDFs (labels, appraisal forms): Debian's chromium with fonts-noto-cjk.
ANJU_CHROMIUM = Path(os.environ.get("ANJU_CHROMIUM", "/usr/bin/chromium"))
# How far (metres) a field GPS fix or photo may lie from the house's registered point before it is flagged.
ANJU_EVIDENCE_DISTANCE_M = int(os.environ.get("ANJU_EVIDENCE_DISTANCE_M", "500"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("ANJU_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Anju API",
    "DESCRIPTION": "安居: rural housing safety archive. All data is scoped to the caller's region.",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
