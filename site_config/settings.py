"""Contrata settings, read from the environment.

Every variable has a development default, so `make run` works with none set.
`site_config.settings_production` tightens these for deployment.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

INSECURE_SECRET_KEY = "django-insecure-contrata-development-only"


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def require_secure_secret_key(secret_key: str) -> None:
    """Refuse to run without DEBUG on a missing, short or development secret."""
    if (
        not secret_key
        or secret_key == INSECURE_SECRET_KEY
        or secret_key.startswith("django-insecure")
        or len(secret_key) < 50
        or len(set(secret_key)) < 5
    ):
        raise ImproperlyConfigured(
            "SECRET_KEY is insecure: set it to a random string of at least 50 characters."
        )


SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
if not DEBUG:
    require_secure_secret_key(SECRET_KEY)

# Tenant hosts are <schema>.<BASE_DOMAIN>; the public site is BASE_DOMAIN itself.
BASE_DOMAIN = os.environ.get("BASE_DOMAIN", "localhost")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [BASE_DOMAIN, f".{BASE_DOMAIN}"])
# Where `make run` / `make dev` listen; printed URLs use its port.
CONTRATA_ADDR = os.environ.get("CONTRATA_ADDR", "0.0.0.0:8000")
CONTRATA_PORT = int(CONTRATA_ADDR.rpartition(":")[2])

# --- Applications -----------------------------------------------------------
# `tenancy` comes before `django_tenants` so that its `migrate` command wins:
# it hands the MySQL alias to Django's own migrate. `django_tenants` comes after
# the admin so that the admin's own index and app list templates win: its
# versions carry inline styles that the Content Security Policy blocks.
SHARED_APPS = [
    "tenancy",
    "django.contrib.admin",
    "django_tenants",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "demo",
    "axes",
]
# Login attempts (axes) live beside the users they are about, in each schema:
# a lockout on one tenant never touches another, and each admin resets its own.
TENANT_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "axes",
    "data_access",
    "dashboard",
    "api",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_NAME = "public"
ROOT_URLCONF = "site_config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "site_config.urls_public"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False
# SET search_path once per connection and tenant switch, not before every cursor.
TENANT_LIMIT_SET_CALLS = True
# Seconds each process remembers which tenant a host name belongs to.
TENANT_CACHE_SECONDS = float(os.environ.get("TENANT_CACHE_SECONDS", "30"))

MIDDLEWARE = [
    # /healthz and /readyz: any host, no tenant lookup.
    "site_config.health.HealthCheckMiddleware",
    # One JSON line per request, with its X-Request-ID.
    "site_config.request_log.RequestLogMiddleware",
    # Before the tenant lookup: HTTPS redirect, and (in production) static files.
    "django.middleware.security.SecurityMiddleware",
    # A database outage in a view answers 503 (the tenant lookup's too).
    "site_config.outage.DatabaseOutageMiddleware",
    # django-tenants' lookup; host names matched case-insensitively.
    "site_config.tenant_middleware.TenantMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The audit trail (data_access.history) attributes changes to the request's user.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "site_config.wsgi.application"

# --- Databases --------------------------------------------------------------
# Clients (and everything else) live in PostgreSQL, one schema per tenant;
# contracts live in MySQL/MariaDB under the alias "mysql".
# Without URLs, the private servers that scripts/dev.sh starts under .local/.
# scripts/dev.sh reads these values from here (scripts/databases.py env).
PG_PORT = int(os.environ.get("CONTRATA_PG_PORT", "54329"))
MYSQL_PORT = int(os.environ.get("CONTRATA_MYSQL_PORT", "33069"))
PRIVATE_DATABASE_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/contrata"
PRIVATE_CONTRACTS_DATABASE_URL = f"mysql://contrata:contrata@127.0.0.1:{MYSQL_PORT}/contrata"
DATABASE_URL = os.environ.get("DATABASE_URL", PRIVATE_DATABASE_URL)
CONTRACTS_DATABASE_URL = os.environ.get("CONTRACTS_DATABASE_URL", PRIVATE_CONTRACTS_DATABASE_URL)
CONTRACTS_DATABASE = "mysql"
# After a failure to reach MySQL, each process answers without it for this long.
CONTRACTS_BREAKER_SECONDS = float(os.environ.get("CONTRACTS_BREAKER_SECONDS", "10"))

# Persistent connections only where the number of threads is bounded: gunicorn's
# config sets DB_CONN_MAX_AGE (one connection per worker thread, health-checked).
# runserver starts a thread per TCP connection, so there every request closes its own.
CONN_MAX_AGE = int(os.environ.get("DB_CONN_MAX_AGE", "0"))


def database(url: str, *, engine: str) -> dict:
    return dj_database_url.parse(
        url, engine=engine, conn_max_age=CONN_MAX_AGE, conn_health_checks=CONN_MAX_AGE > 0
    )


# spider://… is a MariaDB Spider head whose tables are sharded by tenant over the
# MariaDB servers of CONTRACTS_SHARD_URLS (docs/scaling.md).
SPIDER_ENGINE = "data_access.sharding.backend"
dj_database_url.register("spider", SPIDER_ENGINE)
CONTRACTS_SHARD_URLS = env_list("CONTRACTS_SHARD_URLS", [])
_mysql = database(
    CONTRACTS_DATABASE_URL,
    engine=SPIDER_ENGINE
    if CONTRACTS_DATABASE_URL.startswith("spider://")
    else "django.db.backends.mysql",
)
# No health check before reusing a MySQL connection: against a hung server the
# check itself waits out the read timeout before a reconnect waits out the
# connect timeout. A stale connection fails its first query at once instead
# ("server has gone away"), which data_access.boundary answers without opening
# its breaker.
_mysql["CONN_HEALTH_CHECKS"] = False
_mysql["OPTIONS"] = {
    "charset": "utf8mb4",
    # ONLY_FULL_GROUP_BY keeps code tested on MariaDB valid on MySQL 8.
    "init_command": "SET sql_mode='STRICT_TRANS_TABLES,ONLY_FULL_GROUP_BY', "
    "innodb_lock_wait_timeout=10",
    # A down, unreachable or hung MySQL must not hang pages: seconds to connect,
    # and to wait for each read (a query's answer) or write.
    "connect_timeout": int(os.environ.get("CONTRACTS_CONNECT_TIMEOUT", "1")),
    # Short for requests (a hung MySQL costs one wait, then the breaker opens);
    # manage.py raises them for maintenance statements.
    "read_timeout": int(os.environ.get("CONTRACTS_READ_TIMEOUT", "2")),
    "write_timeout": int(os.environ.get("CONTRACTS_WRITE_TIMEOUT", "2")),
}
_mysql["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}

_postgres = database(DATABASE_URL, engine="django_tenants.postgresql_backend")
# A PostgreSQL that does not answer fails the request (503) instead of hanging it.
_postgres["OPTIONS"] = {
    "connect_timeout": int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5")),
    **_postgres.get("OPTIONS", {}),
}

DATABASES = {"default": _postgres, CONTRACTS_DATABASE: _mysql}
# Our router first: django-tenants' router refuses every alias but "default".
DATABASE_ROUTERS = [
    "data_access.routers.ContractsRouter",
    "django_tenants.routers.TenantSyncRouter",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth, sessions, cache --------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# --- Brute force: django-axes ---
# Locked: this username from this address, in this tenant, after
# AXES_FAILURE_LIMIT failures, for AXES_COOLOFF_MINUTES (a success resets the count).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "site_config.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "site_config.lockout.client_ip"
# Reverse proxies in front that append the client's address to X-Forwarded-For
# (0: the peer address is the client's).
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
# Host-only cookies: a session from one tenant's subdomain is worthless on another.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True

# One cache for every process and thread. Redis when REDIS_URL (or CACHE_URL, a
# redis:// URL) is set; otherwise, with no extra server, a table in PostgreSQL's
# public schema (`manage.py createcachetable`, run by scripts/dev.sh).
CACHE_URL = os.environ.get("REDIS_URL") or os.environ.get("CACHE_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache"
        if CACHE_URL
        else "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": CACHE_URL or "django_cache",
        # Prefix every key with the tenant's schema.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    },
    # Drawn clients tables, in each process's memory, keyed by a digest of everything
    # they show (dashboard.tables.QueryTable.fingerprint): an entry is never stale.
    "template_fragments": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "contrata-template-fragments",
        "OPTIONS": {"MAX_ENTRIES": 1000},
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    },
}

# With Redis, sessions are read from it and written through to PostgreSQL (one
# query fewer per request). Not with the table cache: that would only move the query.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHE_URL
    else "django.contrib.sessions.backends.db"
)

# --- JSON API (Django REST framework) ----------------------------------------
REST_FRAMEWORK = {
    # A sent Authorization header decides alone; without one, a staff session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsTokenOrStaff"],
    "DEFAULT_RENDERER_CLASSES": [
        "api.renderers.MarkupSafeJSONRenderer",
        "api.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [],  # read-only: no request bodies
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.TokenRateThrottle",
        "api.throttling.UserRateThrottle",
        "api.throttling.AnonymousRateThrottle",
    ],
    # Per token, per staff user, and per address for the public schema and docs.
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("API_TOKEN_RATE", "1200/minute"),
        "user": os.environ.get("API_USER_RATE", "600/minute"),
        "anon": os.environ.get("API_ANON_RATE", "120/minute"),
    },
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    # Content negotiation by the Accept header only: `format` is no parameter here.
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contrata API",
    "DESCRIPTION": "Read-only JSON API of one tenant: its clients with their contract "
    "counts and totals, and the shared country list.",
    "VERSION": "1.0.0",
    "OAS_VERSION": "3.1.0",
    "SCHEMA_PATH_PREFIX": "/api/",
    "SORT_OPERATION_PARAMETERS": False,  # in the order the query defines them
    # The document and Swagger UI are public: they describe the API, hold no tenant data.
    "SERVE_PUBLIC": True,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI from the vendored drf-spectacular-sidecar files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("pt-br", _("Brazilian Portuguese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # settings_production hashes and compresses them (after `collectstatic`).
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security ---------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    # Django's admin marks its rare inline <style> with the response's nonce.
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# Requests (site_config.request_log) slower than this, or with a query slower than
# that, are logged at WARNING and flagged.
SLOW_REQUEST_MS = float(os.environ.get("SLOW_REQUEST_MS", "500"))
SLOW_QUERY_MS = float(os.environ.get("SLOW_QUERY_MS", "100"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # contrata.request: one JSON line per request.
    "loggers": {"contrata": {"level": os.environ.get("CONTRATA_LOG_LEVEL", "INFO")}},
}
