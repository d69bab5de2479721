"""Settings for Anju. Everything a deployment changes comes from the environment (see README)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ANJU_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("ANJU_DEBUG", "1") == "1"
DEVELOPMENT_SECRET_KEY = "anju-development-only-secret-key-change-me-in-production"  # refused when ANJU_DEBUG=0
SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
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
    "accounts.middleware.PasswordChangeRequiredMiddleware",
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
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# A password older than this many days must be changed before anything else (0: never).
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("ANJU_PASSWORD_MAX_AGE_DAYS", "90"))
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
# However active, a session ends this long after sign-in.
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("ANJU_SESSION_ABSOLUTE_HOURS", "12")) * 3600

# Sign-in throttling (accounts.throttle): failures per account name, and per client address, within
# LOCKOUT_WINDOW_SECONDS lock that name or address for LOCKOUT_SECONDS. The password-change form and
# the second factor count on the same counters.
LOCKOUT_FAILURES = 5
ADDRESS_LOCKOUT_FAILURES = int(os.environ.get("ANJU_ADDRESS_LOCKOUT_FAILURES", "30"))
LOCKOUT_SECONDS = 30 * 60
LOCKOUT_WINDOW_SECONDS = 24 * 3600

# The second factor (TOTP, accounts.second_factor) is required for the roles holding these capabilities.
SECOND_FACTOR_CAPS = [c.strip() for c in os.environ.get("ANJU_SECOND_FACTOR_CAPS", "unmask,pay_check").split(",") if c.strip()]
OTP_TOTP_ISSUER = "安居"
OTP_TOTP_THROTTLE_FACTOR = 0  # wrong codes count on the sign-in counters of accounts.throttle instead

# API tokens (accounts.tokens): an app's login token lives API_TOKEN_LOGIN_DAYS, a named token for
# another system API_TOKEN_NAMED_DAYS unless chosen otherwise; a revoked token may still pass in
# other worker processes for TOKEN_CACHE_SECONDS.
API_TOKEN_LOGIN_DAYS = int(os.environ.get("ANJU_API_TOKEN_LOGIN_DAYS", "7"))
API_TOKEN_NAMED_DAYS = int(os.environ.get("ANJU_API_TOKEN_NAMED_DAYS", "30"))
TOKEN_CACHE_SECONDS = 5

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
# Key rotation (docs/operations.md): more keys as "id:base64" pairs (the key above is id 1), the id that
# seals new values (0: the highest), and whether version 1 ciphertexts (no key id, not bound to their
# row) are still read: set ANJU_FIELD_ACCEPT_V1=0 once `manage.py rotate_field_key` has run.
ANJU_FIELD_KEYS = os.environ.get("ANJU_FIELD_KEYS", "")
ANJU_FIELD_KEY_ID = int(os.environ.get("ANJU_FIELD_KEY_ID", "0") or 0)
ANJU_FIELD_ACCEPT_V1 = os.environ.get("ANJU_FIELD_ACCEPT_V1", "1") != "0"

# The audit key seals the audit chain (HMAC) and signs its anchors; like the field key it never lives
# in the database. Retired keys (after a rotation) stay listed so older events still verify.
# Anchors (the chain's head, id and count, signed) are appended to a file in ANJU_AUDIT_ANCHOR_DIR.
ANJU_AUDIT_KEY = os.environ.get("ANJU_AUDIT_KEY", "")
ANJU_AUDIT_KEY_FILE = Path(os.environ.get("ANJU_AUDIT_KEY_FILE", VAR_DIR / "keys" / "audit.key"))
ANJU_AUDIT_OLD_KEYS = os.environ.get("ANJU_AUDIT_OLD_KEYS", "")
ANJU_AUDIT_ANCHOR_DIR = Path(os.environ.get("ANJU_AUDIT_ANCHOR_DIR", VAR_DIR / "anchors"))
# "1": every read of personal data waits for its row to reach the disk (PostgreSQL), at a cost per API read.
ANJU_AUDIT_READS_DURABLE = os.environ.get("ANJU_AUDIT_READS_DURABLE", "0") == "1"

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


# ---------------------------------------------------------------------------------------------------
# Security headers, Content-Security-Policy and the production profile (issue 11 findings 9 and 14;
# ADR 0021, docs/security/prod.md). Headers and the CSP apply always, so development and the tests
# see what production serves; cookies over HTTPS only, HSTS and the HTTPS redirect when ANJU_DEBUG=0.
# ---------------------------------------------------------------------------------------------------
from csp.constants import NONE, SELF  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in ("1", "true", "yes", "on")


INSTALLED_APPS += ["csp"]
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "core.middleware.NoStoreMiddleware"]

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Every page and the field app pass this policy: no inline script or style, no eval, nothing from
# other origins. Violations are posted to core.csp.report, which logs them (logger "anju.csp").
CSP_REPORT_URL = "/csp-report/"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],  # data: Bootstrap's inline SVG icons; blob: photo previews
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "frame-src": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": CSP_REPORT_URL,
    },
}

# No browsable API: its pages carry inline styles the policy refuses, and people read the API in
# Swagger UI (/api/docs/, behind login). Clients get JSON.
REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"] = ["rest_framework.renderers.JSONRenderer"]

if not DEBUG:
    _missing = {}  # variable -> how to give it, in Chinese
    if not os.environ.get("SECRET_KEY") or SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        _missing["SECRET_KEY"] = "SECRET_KEY"
    if not ANJU_FIELD_KEY and not ANJU_FIELD_KEY_FILE.exists():
        _missing["ANJU_FIELD_KEY"] = f"ANJU_FIELD_KEY（或密钥文件 {ANJU_FIELD_KEY_FILE}）"
    if not ANJU_AUDIT_KEY and not ANJU_AUDIT_KEY_FILE.exists():
        _missing["ANJU_AUDIT_KEY"] = f"ANJU_AUDIT_KEY（或密钥文件 {ANJU_AUDIT_KEY_FILE}）"
    if _missing:
        raise ImproperlyConfigured(
            f"生产模式（ANJU_DEBUG=0）拒绝启动：缺少 {'、'.join(_missing.values())}，请在环境中设置（见 docs/operations.md）。"
            f" Production mode (ANJU_DEBUG=0) refuses to start: missing {', '.join(_missing)} (see docs/operations.md)."
        )
    SECURE_SSL_REDIRECT = _flag("ANJU_SSL_REDIRECT", True)
    if _flag("ANJU_BEHIND_PROXY", False):
        # Only behind the documented reverse proxy, which overwrites this header on every request.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("ANJU_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies: sent only over HTTPS, to this host, for the whole site (never set by a subdomain).
    SESSION_COOKIE_NAME = "__Host-anju_session"
    CSRF_COOKIE_NAME = "__Host-anju_csrf"
