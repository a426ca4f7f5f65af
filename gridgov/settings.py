"""Settings, all from environment variables (see docs/configuration in README).

`gridgov.settings_production` tightens these for deployment.
"""

import os
from pathlib import Path
from typing import Any

import django_stubs_ext

from gridgov.core.dotenv import load_dotenv
from gridgov.core.env import (
    env_base64_key,
    env_bool,
    env_database,
    env_int,
    env_list,
    env_str,
    env_syslog_address,
)

# Generic admin and form classes (`ModelAdmin[Event]`) at run time, as the type checker reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
# `make` writes a local .env with fresh keys; GRIDGOV_ENV_FILE names another file, or "" for none
# (a deployment that sets real environment variables).
_ENV_FILE = os.environ.get("GRIDGOV_ENV_FILE")
load_dotenv(BASE_DIR / ".env" if _ENV_FILE is None else Path(_ENV_FILE) if _ENV_FILE else None)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
# AES-256 key (base64) for ID numbers and phones at rest; never stored in the database or repo.
GRIDGOV_DATA_KEY = env_base64_key("GRIDGOV_DATA_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "gridgov.core",
    "gridgov.audit",
    "gridgov.hierarchy",
    "gridgov.accounts",
    "gridgov.notifications",
    "gridgov.registry",
    "gridgov.search",
    "gridgov.events",
    "gridgov.disputes",
    "gridgov.open311",
    "gridgov.mobile",
    "gridgov.care",
    "gridgov.workforce",
    "gridgov.patrols",
    "gridgov.tasks",
    "gridgov.screening",
    "gridgov.worklog",
    "gridgov.inspection",
    "gridgov.academy",
    # After the apps its indicators read (tasks, inspection, academy): its seed opens the year's drafts.
    "gridgov.assessment",
    "gridgov.front",
    # Last: its seed step counts what every other app seeded.
    "gridgov.overview",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gridgov.core.middleware.RequestContextMiddleware",
    "gridgov.core.middleware.NoStoreMiddleware",
    "gridgov.core.middleware.RefuseUnstorableTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "gridgov.accounts.middleware.SecondFactorMiddleware",
    "gridgov.accounts.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gridgov" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "gridgov.front.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'gridgov.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with write transactions queued on a file lock (see its docstring).
    DATABASES["default"]["ENGINE"] = "gridgov.core.sqlite"
    # Tests on SQLite use an in-memory database, as with Django's own engine name (pytest-django
    # recognises only that name and would otherwise derive a file name per xdist worker).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE avoids
        # "database is locked" upgrades from read to write mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-64000;",
    }
    (BASE_DIR / "var").mkdir(exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
AUTHENTICATION_BACKENDS = ["gridgov.accounts.backends.LockoutModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Lock-out is per username: many grid workers share one carrier IP address.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=1)
# Second factor (gridgov.accounts.twofactor, django-otp): TOTP plus single-use recovery codes,
# required of city and county administrators, auditors and system administrators. A wrong code
# counts as a failed login of the username (the lock-out above) instead of django-otp's own
# per-device back-off, so passwords and codes share one rule.
OTP_TOTP_ISSUER = "gridgov"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# Seconds between a correct password and the one-time code before the password must be typed again.
LOGIN_SECOND_STEP_SECONDS = env_int("LOGIN_SECOND_STEP_SECONDS", 300, minimum=30)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
SESSION_COOKIE_AGE = env_int("SESSION_ABSOLUTE_LIFETIME", 12 * 3600, minimum=300)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
API_TOKEN_LIFETIME = env_int("API_TOKEN_LIFETIME", 7 * 24 * 3600, minimum=60)
# The grid worker's app (gridgov.accounts.devices): a short-lived access token, renewed with a
# refresh token bound to the device, which rotates on every use.
APP_ACCESS_TOKEN_LIFETIME = env_int("APP_ACCESS_TOKEN_LIFETIME", 15 * 60, minimum=60)
APP_REFRESH_TOKEN_LIFETIME = env_int("APP_REFRESH_TOKEN_LIFETIME", 30 * 24 * 3600, minimum=3600)
# How long the phones' change log (gridgov.mobile) keeps changes; a phone away longer syncs afresh.
SYNC_CHANGE_RETENTION_DAYS = env_int("SYNC_CHANGE_RETENTION_DAYS", 30, minimum=1)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "gridgov" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# WhiteNoise serves from the finders in development and warns if this does not exist yet.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/leaflet", BASE_DIR / "node_modules" / "leaflet" / "dist"),
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/leaflet.markercluster", BASE_DIR / "node_modules" / "leaflet.markercluster" / "dist"),
    ("vendor/leaflet.heat", BASE_DIR / "node_modules" / "leaflet.heat" / "dist"),
    # The grid worker's app (gridgov.mobile): IndexedDB and the service worker's Workbox modules.
    ("vendor/dexie", BASE_DIR / "node_modules" / "dexie" / "dist"),
    ("vendor/workbox-sw", BASE_DIR / "node_modules" / "workbox-sw" / "build"),
    *[
        (f"vendor/{name}", BASE_DIR / "node_modules" / name / "build")
        for name in ("workbox-core", "workbox-precaching", "workbox-routing", "workbox-strategies")
    ],
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
# Uploads (photos of people, plates and homes) have no public URL: gridgov.core.uploads serves
# each through a view that checks the viewer's scope. MEDIA_ROOT must not be published by a web
# server; there is deliberately no MEDIA_URL.
STORAGES = {
    "default": {"BACKEND": "gridgov.core.uploads.PrivateUploadStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Security headers. Production tightens the transport settings further.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals_on_one_line": {"()": "gridgov.core.logs.RefusalsOnOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["refusals_on_one_line"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Signed checkpoints of the audit chain's head (gridgov.audit.checkpoints): the worker writes one
# to GRIDGOV_PRIVATE_DIR/audit-checkpoints.jsonl this often when the log has grown, and, when
# AUDIT_CHECKPOINT_SYSLOG is set (`/dev/log`, `host` or `host:port`, UDP), sends it to syslog too.
AUDIT_CHECKPOINT_INTERVAL = env_int("AUDIT_CHECKPOINT_INTERVAL", 300, minimum=10)
AUDIT_CHECKPOINT_SYSLOG = env_syslog_address("AUDIT_CHECKPOINT_SYSLOG")
if AUDIT_CHECKPOINT_SYSLOG is not None:
    LOGGING["handlers"]["audit_checkpoints"] = {
        "class": "logging.handlers.SysLogHandler",
        "address": AUDIT_CHECKPOINT_SYSLOG,
        "facility": "authpriv",
    }
    LOGGING["loggers"] = {
        "gridgov.audit.checkpoints": {"handlers": ["audit_checkpoints"], "level": "INFO", "propagate": False}
    }

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

GRIDGOV_CITY_CODE = env_str("GRIDGOV_CITY_CODE", "150100")

# Open311 rate limits per one-minute window (gridgov.open311.ratelimit; 0 turns one off). The
# counters are kept in the cache above, which is per process: see that module about sharing it.
OPEN311_RATE_LIMIT_POST_PER_KEY = env_int("OPEN311_RATE_LIMIT_POST_PER_KEY", 60, minimum=0)
OPEN311_RATE_LIMIT_PER_IP = env_int("OPEN311_RATE_LIMIT_PER_IP", 600, minimum=0)

# Residents in one Excel export, built within the request (about 5,000 a second): larger scopes
# are exported area by area.
REGISTRY_EXPORT_MAX_ROWS = env_int("REGISTRY_EXPORT_MAX_ROWS", 100_000, minimum=1)
# Larger exports are built by the background worker into this private folder (never served as
# media) and kept this many hours for the person who asked.
GRIDGOV_PRIVATE_DIR = Path(env_str("GRIDGOV_PRIVATE_DIR", str(BASE_DIR / "var" / "private")))
# Break the glass (gridgov.search): how many wider searches one person may ask for per day.
BREAK_GLASS_PER_DAY = env_int("BREAK_GLASS_PER_DAY", 3, minimum=1)
# The grid academy's course material (documents, videos): never served as media; only the course
# page's scope-checked download hands a file out.
GRIDGOV_ACADEMY_DIR = Path(env_str("GRIDGOV_ACADEMY_DIR", str(GRIDGOV_PRIVATE_DIR / "academy")))
REGISTRY_EXPORT_KEEP_HOURS = env_int("REGISTRY_EXPORT_KEEP_HOURS", 24, minimum=1)
# A household whose data nobody verified (a visit, a check, a hand edit) for this many days is on
# the stale list (gridgov.care).
GRIDGOV_STALE_AFTER_DAYS = env_int("GRIDGOV_STALE_AFTER_DAYS", 365, minimum=1)
# Patrol tracks (positions) are personal data: kept this many days, then purged by the worker.
PATROL_TRACK_KEEP_DAYS = env_int("PATROL_TRACK_KEEP_DAYS", 90, minimum=1)
# The worker builds last month's report of the city, every county and every township on the 1st
# (and any report asked for); off, it builds only those asked for.
GRIDGOV_MONTHLY_REPORTS = env_bool("GRIDGOV_MONTHLY_REPORTS", True)
