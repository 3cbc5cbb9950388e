"""Settings for ipfund, driven by environment variables (see README, "Configuration")."""

import os
from pathlib import Path

import dj_database_url
import orjson

from config import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = env.path("IPFUND_VAR_DIR", BASE_DIR / "var")

# --- Core -------------------------------------------------------------------------------
DEBUG = env.boolean("DJANGO_DEBUG", True)
# The development key only works with DEBUG on; production settings refuse to start with it.
DEV_SECRET_KEY = "dev-insecure-key-change-me-ipfund-0000000000000000000000"
SECRET_KEY = env.text("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
# Old keys still accepted after a rotation: sessions, and audit rows written before it and not yet sealed.
SECRET_KEY_FALLBACKS = env.items("DJANGO_SECRET_KEY_FALLBACKS", "")
ALLOWED_HOSTS = env.items("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env.items("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "applicants",
    "funding",
    "pledges",
    "api",
    "reports",
    "devtools",
    "ops",
    "axes",  # login lockout
    "csp",  # Content-Security-Policy
    "django_tasks",  # background report jobs
    "django_tasks_db",
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
    "api.middleware.TextGuardMiddleware",  # NUL & co. in query strings, form posts, headers: 400, not 500
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: it only turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "applicants.context_processors.navigation",
                "core.context_processors.inbox",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# SQLite is the embedded default; DATABASE_URL (postgres://…) switches everything to PostgreSQL.
SQLITE_PATH = VAR_DIR / "ipfund.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        env.text("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"),
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
# PostgreSQL: IPFUND_DB_POOL=N keeps a psycopg connection pool of up to N per process (Django ≥ 5.1)
# instead of a persistent connection per thread; 0 (default) keeps CONN_MAX_AGE connections.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.integer("IPFUND_DB_POOL", 0):
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool owns the connections
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": env.integer("IPFUND_DB_POOL", 0), "timeout": 10}
# PostgreSQL: parameters bound by the server, and a statement a connection has run IPFUND_DB_PREPARE
# times (psycopg's default, 5) kept prepared, so PostgreSQL stops planning it again: planning was most
# of the API token's lookup (0.6–1.0 ms of 0.8–1.2) and of a list page's statement (bench/RESULTS.md).
# 0 turns both off, for a pooler in transaction mode that cannot keep prepared statements (PgBouncer
# before 1.21, or without max_prepared_statements).
PREPARE_THRESHOLD = env.integer("IPFUND_DB_PREPARE", 5)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and PREPARE_THRESHOLD > 0:
    DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=PREPARE_THRESHOLD)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside a writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;",
    }
    # A file (threaded tests need one shared by their connections), one per test process: two test
    # runs at once on one checkout never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

# A streaming replica for the year-end report and the statistics exports (core.db_routing): reads
# only; every write and lock stays on the primary.
if env.text("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(env.text("DATABASE_REPLICA_URL", ""),
                                                 conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 600))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["core.db_routing.ReplicaRouter"]
# PostgreSQL: the busiest API lists and the loan detail answer from one SQL statement (api.readers);
# 0 sends them through the serializers (the same JSON; tests/api/test_readers.py compares the two).
IPFUND_SQL_READERS = env.boolean("IPFUND_SQL_READERS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "applicants.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env.integer("IPFUND_SESSION_SECONDS", 8 * 3600)

# --- Language and time ------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文（简体）"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files and uploads -------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("IPFUND_STATIC_ROOT", BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded documents are private: stored outside any served directory, only sent by a
# permission-checked view.
MEDIA_ROOT = env.path("IPFUND_UPLOAD_DIR", VAR_DIR / "uploads")
MEDIA_URL = "/media-not-served/"
IPFUND_UPLOAD_MAX_BYTES = env.integer("IPFUND_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.integer("IPFUND_REQUEST_MAX_BYTES", 2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# --- Email: console by default, SMTP when EMAIL_HOST is set --------------------------
if env.text("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.text("EMAIL_HOST")
    EMAIL_PORT = env.integer("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env.text("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env.text("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env.boolean("EMAIL_USE_TLS", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "ipfund@wushan.gov.cn.invalid")

# --- REST framework ----------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.CleanJSONParser"],  # NUL, lone surrogates…: a 400 naming the field
    # orjson: the lists' JSON in a fraction of the stdlib encoder's time; Decimals stay strings.
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "ORJSON_RENDERER_OPTIONS": (orjson.OPT_NON_STR_KEYS,),  # error maps keyed by a loan's id
    "DEFAULT_PAGINATION_CLASS": "api.pagination.StandardPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ipfund API",
    "DESCRIPTION": "巫山县知识产权专项资金管理系统 — programs, budgets, applications and IP-pledge loans.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.document_pagination_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "IPAssetKindEnum": "applicants.models.IPAsset.Kind",
        "PledgedRightKindEnum": "pledges.models.PledgedRight.Kind",
        "ProgramCodeEnum": "funding.workflow.ProgramCode",
    },
}

# --- ipfund ----------------------------------------------------------------------
# A CJK TrueType font for PDF reports; found automatically when unset (README).
IPFUND_CJK_FONT = env.text("IPFUND_CJK_FONT")
IPFUND_DEFAULT_REGION = env.text("IPFUND_DEFAULT_REGION", "500237")
# The county's part of a case number (受理编号 WS-ZL-2026-0007; funding.case_numbers).
IPFUND_CASE_PREFIX = env.text("IPFUND_CASE_PREFIX", "WS")
IPFUND_IDEMPOTENCY_HOURS = env.integer("IPFUND_IDEMPOTENCY_HOURS", 48)
# The address people reach the site at: the links in emails (the inbox's links are the same paths).
IPFUND_SITE_URL = env.text("IPFUND_SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.text("IPFUND_LOG_LEVEL", "WARNING")},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request when it is missing

# --- Login lockout (django-axes) and Content-Security-Policy (django-csp) ------------
# AxesStandaloneBackend goes first: it refuses a locked username+IP before any password is checked.
# Both apply to the site login and the admin login.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.integer("IPFUND_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env.integer("IPFUND_LOCKOUT_MINUTES", 30) / 60  # hours, as a float
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_LOCKOUT_CALLABLE = "config.security.lockout_response"  # the template above, with minutes, status 429
AXES_CLIENT_IP_CALLABLE = "config.security.client_ip"
IPFUND_PROXY_COUNT = env.integer("IPFUND_PROXY_COUNT", 0)  # trusted reverse proxies in front

# No inline scripts or styles anywhere (templates load static files only; Swagger UI uses the
# split view, which serves its init script as a file).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Background jobs (django-tasks): the report downloads from the web -----------------
# IPFUND_TASK_BACKEND: "thread" (default; runs each job in a background thread of the web process
# after the request commits, no extra service), "database" (django-tasks-db: jobs are rows, run by
# `manage.py db_worker`; for production), "immediate" (inline, blocks the request; debugging).
TASK_BACKEND_ALIASES = {
    "thread": "reports.task_backend.ThreadBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
IPFUND_TASK_BACKEND = env.choice("IPFUND_TASK_BACKEND", "thread", TASK_BACKEND_ALIASES)
TASKS = {
    "default": {
        "BACKEND": TASK_BACKEND_ALIASES[IPFUND_TASK_BACKEND],
        "OPTIONS": {"max_threads": env.integer("IPFUND_TASK_THREADS", 2)}
        if IPFUND_TASK_BACKEND == "thread" else {},
    }
}
# Generated report files: private, only sent by a permission-checked view.
IPFUND_REPORT_DIR = env.path("IPFUND_REPORT_DIR", VAR_DIR / "reports")
IPFUND_REPORT_JOB_STALE_MINUTES = env.integer("IPFUND_REPORT_JOB_STALE_MINUTES", 30)
IPFUND_REPORT_JOBS_PER_USER = env.integer("IPFUND_REPORT_JOBS_PER_USER", 3)

# Audit chains: refuse (RuntimeError) an append that takes chain heads out of LOCK_ORDER. On in
# development and tests, where a wrong order must fail loudly; production relies on the tests.
IPFUND_CHECK_LOCK_ORDER = env.boolean("IPFUND_CHECK_LOCK_ORDER", DEBUG)
