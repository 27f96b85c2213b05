"""Sinau settings: one module, driven by the environment.

With nothing set it runs on the embedded default (SQLite in WAL mode, files under
``media/``, Celery on the filesystem transport). ``DATABASE_URL``, ``CELERY_BROKER_URL``,
``REDIS_URL``/``CACHE_URL`` and the ``AWS_*`` variables move it onto PostgreSQL, Redis and
S3-compatible storage. Every variable is listed in ``.env.example`` and the README.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# SINAU_ENV_FILE points elsewhere (or at /dev/null) when the local .env must not apply.
environ.Env.read_env(env.str("SINAU_ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Behind TLS in production: secure cookies, HSTS and the HTTPS redirect switch on together.
HTTPS = env.bool("SINAU_HTTPS", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-only-for-debug")
else:
    # Outside DEBUG a missing key must stop the process, never fall back to a known one.
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise environ.ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in .env (make setup writes one)."
        )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "lms.core",
    "lms.people",
    "lms.videos",
    "lms.assessments",
    "lms.learning",
    "lms.certificates",
    "lms.reports",
    "lms.planning",
    "lms.interop",
    "lms.classroom",
    "courses",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "knox",
    "django_filters",
    "lms.api",
    "axes",
    "csp",
    "storages",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Axes must come last so that it sees the outcome of every authentication attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "lms.urls"
WSGI_APPLICATION = "lms.wsgi.application"

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
                "django.template.context_processors.i18n",
                "lms.core.context_processors.sinau",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web process read while the worker writes; IMMEDIATE avoids
        # "database is locked" on lock upgrades between the two.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not :memory:, so that a real worker process can share the test database.
    # One file per test run, so that two runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CACHE_URL = env.str("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
elif REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="sinau"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- People and login -----------------------------------------------------------------
AUTH_USER_MODEL = "people.Employee"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "lms.people.backends.NipOrEmailBackend",
]
LOGIN_URL = "people:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
# Lock the pair, so one learner mistyping does not lock a whole office behind one NAT.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "lms.people.backends.axes_username"
AXES_LOCKOUT_TEMPLATE = "people/locked_out.html"
AXES_LOCKOUT_CALLABLE = "lms.people.lockout.lockout_response"
AXES_IPWARE_META_PRECEDENCE_ORDER = env.list(
    "AXES_IPWARE_META_PRECEDENCE_ORDER", default=["REMOTE_ADDR"]
)

# --- Single sign-on (OpenID Connect) ----------------------------------------------------
# On when SINAU_OIDC_ISSUER is set; the provider's endpoints are then required, each
# spelled out (copy them from <issuer>/.well-known/openid-configuration), so that startup
# never depends on the provider answering. Local NIP/password login always stays.
SINAU_OIDC_ISSUER = env.str("SINAU_OIDC_ISSUER", default="")
SINAU_OIDC_ENABLED = bool(SINAU_OIDC_ISSUER)
# The claim carrying the 18-digit NIP; it must name an active employee of the roster.
SINAU_OIDC_NIP_CLAIM = env.str("SINAU_OIDC_NIP_CLAIM", default="nip")
# The button's text on the login page; empty: "Masuk dengan SSO" (translated).
SINAU_OIDC_LABEL = env.str("SINAU_OIDC_LABEL", default="")
if SINAU_OIDC_ENABLED:
    _oidc_required = {
        name: env.str(name, default="")
        for name in (
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
        )
    }
    _oidc_missing = [name for name, value in _oidc_required.items() if not value]
    if _oidc_missing:
        raise environ.ImproperlyConfigured(
            "SINAU_OIDC_ISSUER is set, so single sign-on needs: " + ", ".join(_oidc_missing)
        )
    OIDC_OP_AUTHORIZATION_ENDPOINT = _oidc_required["OIDC_OP_AUTHORIZATION_ENDPOINT"]
    OIDC_OP_TOKEN_ENDPOINT = _oidc_required["OIDC_OP_TOKEN_ENDPOINT"]
    OIDC_OP_USER_ENDPOINT = _oidc_required["OIDC_OP_USER_ENDPOINT"]
    OIDC_OP_JWKS_ENDPOINT = _oidc_required["OIDC_OP_JWKS_ENDPOINT"]
    OIDC_RP_CLIENT_ID = _oidc_required["OIDC_RP_CLIENT_ID"]
    OIDC_RP_CLIENT_SECRET = _oidc_required["OIDC_RP_CLIENT_SECRET"]
    OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
    # Add the provider's scope for the NIP claim if it has one ("openid profile nip").
    OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid profile")
    OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
    # Seconds for each call to the provider; without it a hung provider hangs a worker.
    OIDC_TIMEOUT = env.int("OIDC_TIMEOUT", default=10)
    # Accounts come from the SIMPEG roster only; lms.people.sso never creates one.
    OIDC_CREATE_USER = False
    LOGIN_REDIRECT_URL_FAILURE = "people:login"
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "lms.people.sso.OidcNipBackend"]
    AXES_WHITELIST_CALLABLE = "lms.people.sso.axes_exempt"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Bahasa Indonesia")), ("en", _("English"))]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Jakarta")
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
_default_storage: dict[str, Any] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(MEDIA_ROOT), "base_url": MEDIA_URL},
}
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="auto"),
            # SigV4: newer regions and S3-compatible stores refuse SigV2 presigned URLs.
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
SINAU_IMPORT_MAX_BYTES = env.int("SINAU_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
# Import jobs still queued after this many seconds (the broker was down at the upload) are
# sent again by the sweep; CELERY_BEAT_SCHEDULE["people-import-sweep"] below.
SINAU_IMPORT_REQUEUE_AFTER = env.int("SINAU_IMPORT_REQUEUE_AFTER", default=300)

# --- Video ----------------------------------------------------------------------------
# Empty: the ffmpeg that ships in the imageio-ffmpeg wheel (no system install needed).
SINAU_FFMPEG_BINARY = env.str("SINAU_FFMPEG_BINARY", default="")
SINAU_X264_PRESET = env.str("SINAU_X264_PRESET", default="veryfast")
SINAU_HLS_SEGMENT_SECONDS = env.int("SINAU_HLS_SEGMENT_SECONDS", default=6)
SINAU_VIDEO_MAX_BYTES = env.int("SINAU_VIDEO_MAX_BYTES", default=8 * 1024**3)
SINAU_VIDEO_CHUNK_BYTES = env.int("SINAU_VIDEO_CHUNK_BYTES", default=8 * 1024**2)
# How long a signed playlist or segment URL stays valid; players refetch playlists.
SINAU_VIDEO_URL_TTL = env.int("SINAU_VIDEO_URL_TTL", default=300)
# Set (e.g. "/protected-media/") when nginx serves local media through X-Accel-Redirect:
# segments then never stream through a Python worker.
SINAU_X_ACCEL_REDIRECT_PREFIX = env.str("SINAU_X_ACCEL_REDIRECT_PREFIX", default="")
SINAU_HEARTBEAT_MIN_SECONDS = env.float("SINAU_HEARTBEAT_MIN_SECONDS", default=2.0)
# A watch is written to the database at once on pause, end, leaving the page and reaching
# the course's share; while a video plays on, at most this many seconds apart. Every write
# is a locked row update: at 10,000 learners watching, 300 s makes 33 writes a second where
# 60 s would make 167; a browser that dies without its last heartbeat loses at most this.
SINAU_WATCH_FLUSH_SECONDS = env.float("SINAU_WATCH_FLUSH_SECONDS", default=300.0)
# How long the watch ticket a module page gives the player lasts (renewed while playing).
SINAU_WATCH_TICKET_SECONDS = env.int("SINAU_WATCH_TICKET_SECONDS", default=4 * 3600)

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))
    for _sub in ("queue", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"lms.videos.tasks.*": {"queue": "transcode"}}
# An attempt left open is graded at its deadline when the learner comes back; this closes
# the ones nobody comes back to, so results and reports do not wait for them.
CELERY_BEAT_SCHEDULE = {
    "assessments-close-expired-attempts": {
        "task": "lms.assessments.tasks.attempts_close_expired",
        "schedule": 60.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TASK_TIME_LIMIT = 60 * 30
CELERY_TASK_SOFT_TIME_LIMIT = 60 * 25
# A transcode of a long lecture runs for hours; the Redis visibility timeout must exceed
# it, or an unacknowledged job is handed to a second worker while the first still runs.
SINAU_TRANSCODE_TIME_LIMIT = env.int("SINAU_TRANSCODE_TIME_LIMIT", default=6 * 3600)
# A job whose worker died unacknowledged goes back on the queue after this many seconds
# (the reliability tests make it short).
SINAU_BROKER_VISIBILITY_TIMEOUT = env.int(
    "SINAU_BROKER_VISIBILITY_TIMEOUT", default=SINAU_TRANSCODE_TIME_LIMIT + 3600
)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": SINAU_BROKER_VISIBILITY_TIMEOUT}
# Transcodes still queued that no worker will get (the broker was down at the upload, or
# lost the message after this many seconds) are sent again by this sweep.
SINAU_VIDEO_REQUEUE_AFTER = env.int("SINAU_VIDEO_REQUEUE_AFTER", default=SINAU_TRANSCODE_TIME_LIMIT)
CELERY_BEAT_SCHEDULE["videos-sweep"] = {"task": "videos.sweep", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["people-import-sweep"] = {
    "task": "lms.people.tasks.employee_imports_sweep",
    "schedule": 300.0,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Wagtail --------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Sinau"
WAGTAILADMIN_BASE_URL = env.str("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAIL_I18N_ENABLED = False
# No third-party calls from the admin: Gravatar would receive a hash of each admin's email
# (personal data), and the upgrade check phones home; both also break under the CSP.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# --- REST API -------------------------------------------------------------------------
# Token (scripts, SIMPEG integrations) and session (the browser, the docs page) login;
# every error, whatever raised it, answers in one body: {"type", "errors": [{code, detail,
# attr}]} (drf-standardized-errors), so a client parses failures one way.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "lms.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "lms.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Per client (anonymous: IP; logged in: the employee), counted in the shared cache.
    # Heartbeats have their own budget: a learner watching sends one every ten seconds.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("SINAU_API_RATE_ANON", default="60/min"),
        "user": env.str("SINAU_API_RATE_USER", default="600/min"),
        "heartbeat": env.str("SINAU_API_RATE_HEARTBEAT", default="30/min"),
        "token": env.str("SINAU_API_RATE_TOKEN", default="10/min"),
    },
    "NUM_PROXIES": env.int("SINAU_NUM_PROXIES", default=0),
}
# API tokens (django-rest-knox): stored only as a hash, so a database copy holds no usable
# token; each expires, and an employee holds a few at most (one per script or system).
REST_KNOX = {
    "TOKEN_TTL": dt.timedelta(days=env.int("SINAU_API_TOKEN_DAYS", default=90)),
    "TOKEN_LIMIT_PER_USER": env.int("SINAU_API_TOKENS_PER_EMPLOYEE", default=5),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
_ERROR_ENUMS = (
    "ValidationErrorEnum", "ClientErrorEnum", "ServerErrorEnum", "ErrorCode401Enum",
    "ErrorCode403Enum", "ErrorCode404Enum", "ErrorCode405Enum", "ErrorCode406Enum",
    "ErrorCode415Enum", "ErrorCode429Enum", "ErrorCode500Enum",
)  # fmt: skip
SPECTACULAR_SETTINGS = {
    "TITLE": "Sinau API",
    "VERSION": "1.0.0",
    # Wagtail's own admin API is not ours to describe.
    "PREPROCESSING_HOOKS": ["lms.core.schema.only_api_paths"],
    # The error body's enums get stable names (drf-standardized-errors' recipe), so client
    # generators produce the same types from one release to the next.
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "lms.api.schema.empty_query_means_absent",
    ],
    "ENUM_NAME_OVERRIDES": {
        **{
            name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
            for name in _ERROR_ENUMS
        },
        # One name per choice set that several serializers share.
        "EnrolmentStatusEnum": "lms.learning.models.Enrolment.Status",
        "TrainingFormEnum": "courses.models.TrainingForm",
    },  # fmt: skip
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN, and the CSP allows only 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security -------------------------------------------------------------------------
# Every logged-in request reads its session: from the cache (Redis in production), with the
# database behind it, so a restarted cache logs nobody out.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Wagtail's admin sets style attributes; no inline script is allowed anywhere.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "media-src": [SELF, "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-src": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    },
}

# --- Logging: one JSON object per line, so that log shippers need no parsing rules ------
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
    },
}

# --- Sinau ----------------------------------------------------------------------------
SINAU_PEMDA_NAME = env.str("SINAU_PEMDA_NAME", default="Pemerintah Kabupaten Sinau")
SINAU_DEMO_PASSWORD = env.str("SINAU_DEMO_PASSWORD", default="sinau-demo-2026")
# The yearly JP a PNS owes (PP 11/2017 art. 203(4)); per Pemda and year with the ledger issue.
SINAU_JP_TARGET = env.int("SINAU_JP_TARGET", default=20)
# PPPK: at most 24 JP per contract year paid by the agency (PP 49/2018 art. 40); a warning.
SINAU_JP_CAP_PPPK = env.int("SINAU_JP_CAP_PPPK", default=24)
# Evidence of training done elsewhere (PDF or image).
SINAU_EVIDENCE_MAX_BYTES = env.int("SINAU_EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)

# --- Certificates ---------------------------------------------------------------------
# A certificate's number: {kode_pemda}, {tahun} (the year it is issued) and {urut} (that
# year's sequence, without gaps), in Python's str.format; checked when first used.
SINAU_CERTIFICATE_NUMBER_FORMAT = env.str(
    "SINAU_CERTIFICATE_NUMBER_FORMAT", default="{kode_pemda}/{tahun}/{urut:06d}"
)
SINAU_KODE_PEMDA = env.str("SINAU_KODE_PEMDA", default="SINAU")
# The site's public address (https://sinau.example.go.id): a certificate's QR code opens
# {SINAU_PUBLIC_URL}/verify/<code>. Unset, it points at the development server.
SINAU_PUBLIC_URL = env.str("SINAU_PUBLIC_URL", default="")
# A completion whose issue task never reached the broker, or a certificate whose PDF was
# never written, is picked up by this sweep.
CELERY_BEAT_SCHEDULE["certificates-sweep"] = {
    "task": "lms.certificates.tasks.certificates_sweep",
    "schedule": 600.0,
}
# Public verification (/verify/<code> and its API): lookups per client IP per window,
# counted in the cache (shared by every web process on Redis); then 429. 0 turns it off.
SINAU_CERTIFICATE_VERIFY_RATE = env.int("SINAU_CERTIFICATE_VERIFY_RATE", default=30)
SINAU_CERTIFICATE_VERIFY_WINDOW = env.int("SINAU_CERTIFICATE_VERIFY_WINDOW", default=60)
# WeasyPrint reports every step of every PDF at INFO: keep its warnings only.
LOGGING["loggers"]["weasyprint"] = {"level": "WARNING"}  # type: ignore[index]

# --- Reports --------------------------------------------------------------------------
from celery.schedules import crontab  # noqa: E402  (only the beat entries below need it)

# Email: the console backend under the embedded default (messages are printed, not sent);
# set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the EMAIL_* below.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Sinau <sinau@localhost>")
# Reminders: employees short of their JP target hear monthly from this month (10 =
# October) to December; assigned courses remind this many days before their due date.
SINAU_REMINDER_JP_FROM_MONTH = env.int("SINAU_REMINDER_JP_FROM_MONTH", default=10)
SINAU_REMINDER_DUE_DAYS = env.list("SINAU_REMINDER_DUE_DAYS", cast=int, default=[7, 1])
# The reminder tasks run daily at this hour (Pemda time); each reminder goes out once per
# period (month, ISO week, due-date threshold), so a day missed is caught up the next.
SINAU_REMINDER_HOUR = env.int("SINAU_REMINDER_HOUR", default=7)
CELERY_BEAT_SCHEDULE["reports-jp-shortfall"] = {
    "task": "lms.reports.tasks.reminders_jp_shortfall",
    "schedule": crontab(minute=0, hour=SINAU_REMINDER_HOUR),
}
CELERY_BEAT_SCHEDULE["reports-opd-summary"] = {
    "task": "lms.reports.tasks.reminders_opd_summary",
    "schedule": crontab(minute=10, hour=SINAU_REMINDER_HOUR),
}
CELERY_BEAT_SCHEDULE["reports-due-date"] = {
    "task": "lms.reports.tasks.reminders_due_date",
    "schedule": crontab(minute=20, hour=SINAU_REMINDER_HOUR),
}

# --- Interoperability (outbox: xAPI to an LRS, JP credits to HR systems) ----------------
# xAPI 1.0.3 statements (completed, passed, failed) go to this Learning Record Store
# (its base, e.g. https://lrs.example.go.id/xapi; statements are PUT to <url>/statements).
# Empty: no statements are made at all.
SINAU_XAPI_LRS_URL = env.str("SINAU_XAPI_LRS_URL", default="")
SINAU_XAPI_LRS_USER = env.str("SINAU_XAPI_LRS_USER", default="")
SINAU_XAPI_LRS_PASSWORD = env.str("SINAU_XAPI_LRS_PASSWORD", default="")
# Every JP ledger entry is published to HR systems through the outbox (off: none are).
SINAU_HR_OUTBOX = env.bool("SINAU_HR_OUTBOX", default=True)
# The publisher class (import path); the file drop writes jp-<entry id>.json files here.
SINAU_HR_PUBLISHER = env.str("SINAU_HR_PUBLISHER", default="lms.interop.adapters.FileDropPublisher")
SINAU_HR_DROP_DIR = env.str("SINAU_HR_DROP_DIR", default="") or str(VAR_DIR / "hr-drop")
# A failed delivery is retried after about base * 2^(attempts-1) seconds (with jitter),
# at most max seconds apart; after max attempts the message is marked failed for good.
SINAU_OUTBOX_BACKOFF_BASE = env.int("SINAU_OUTBOX_BACKOFF_BASE", default=30)
SINAU_OUTBOX_BACKOFF_MAX = env.int("SINAU_OUTBOX_BACKOFF_MAX", default=3600)
SINAU_OUTBOX_MAX_ATTEMPTS = env.int("SINAU_OUTBOX_MAX_ATTEMPTS", default=50)
# The queue delivery runs on (its own, say, so an LRS backlog waits behind nothing else).
SINAU_OUTBOX_QUEUE = env.str("SINAU_OUTBOX_QUEUE", default="default")
CELERY_TASK_ROUTES["interop.deliver"] = {"queue": SINAU_OUTBOX_QUEUE}
# The sweep: messages whose task never reached the broker, and retries that fell due.
CELERY_BEAT_SCHEDULE["interop-outbox-deliver"] = {"task": "interop.deliver", "schedule": 60.0}

# --- Angkatan, sessions and attendance ---------------------------------------------------
# The QR code in the room changes every this many seconds; a code is accepted for its own
# period and the next (so for at most twice this long), and once per person.
SINAU_ATTENDANCE_QR_SECONDS = env.int("SINAU_ATTENDANCE_QR_SECONDS", default=15)
# Check-in opens this many minutes before a session starts (and closes when it ends).
SINAU_ATTENDANCE_OPENS_MINUTES = env.int("SINAU_ATTENDANCE_OPENS_MINUTES", default=30)
# A phone that opened a fresh code while logged out has this long to log in and confirm
# (the server notes, in the visitor's session, when it saw the code).
SINAU_ATTENDANCE_SCAN_GRACE_SECONDS = env.int("SINAU_ATTENDANCE_SCAN_GRACE_SECONDS", default=300)
# An instructor sees their evaluation results only from this many responses on, so that
# no single participant's answers can be told apart.
SINAU_EVALUATION_MIN_RESPONSES = env.int("SINAU_EVALUATION_MIN_RESPONSES", default=3)
# Session reminders go out this many hours before a session starts (each once).
SINAU_SESSION_REMINDER_HOURS = env.list("SINAU_SESSION_REMINDER_HOURS", cast=int, default=[24, 1])
# Session reminders: every 15 minutes, each session's participants hear once per threshold.
CELERY_BEAT_SCHEDULE["classroom-session-reminders"] = {
    "task": "classroom.session_reminders",
    "schedule": crontab(minute="*/15"),
}
