"""Production settings: ``DJANGO_SETTINGS_MODULE=config.settings_production`` (docs/operations.md).

Everything in ``config.settings`` applies; this module only hardens it. It refuses to start
without a real secret key and the host names, and ``manage.py check --deploy`` is clean with the
variables a deployer sets (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, DATABASE_URL).
"""

import copy
import warnings

from django.core.exceptions import ImproperlyConfigured

from config import env
from config.settings import *  # noqa: F403
from config.settings import DATABASES, DEV_SECRET_KEY, STORAGES

DEBUG = False

SECRET_KEY = env.text("DJANGO_SECRET_KEY")
if not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "生产环境必须通过环境变量 DJANGO_SECRET_KEY 设置随机密钥（至少 50 个字符），且不得使用开发默认值。"
    )

ALLOWED_HOSTS = env.items("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("生产环境必须通过环境变量 DJANGO_ALLOWED_HOSTS 设置站点域名（逗号分隔）。")

# --- HTTPS ---------------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.boolean("DJANGO_SECURE_SSL_REDIRECT", True)
# Behind a TLS-terminating proxy (nginx) that sets X-Forwarded-Proto: trust it, and only then.
if env.boolean("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = False
SECURE_HSTS_SECONDS = 365 * 24 * 3600
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Cookies and sessions ---------------------------------------------------------------
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = "Lax"
# SESSION_COOKIE_AGE comes from IPFUND_SESSION_SECONDS (default 8 hours) in config.settings.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Static files: hashed names, compressed, served by whitenoise -------------------------
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Database: PostgreSQL, persistent connections -----------------------------------------
DATABASES = copy.deepcopy(DATABASES)
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    warnings.warn(
        "生产环境应使用 PostgreSQL：请设置 DATABASE_URL=postgres://…（当前为 "
        f"{DATABASES['default']['ENGINE']}）。",
        RuntimeWarning,
        stacklevel=1,
    )
# CONN_MAX_AGE (DATABASE_CONN_MAX_AGE, 600 s) and health checks come from config.settings.

# --- Logging: everything to stderr (journald / the container log collects it) ----------------
LOG_LEVEL = env.text("IPFUND_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django.security": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
