"""Contrata settings, read from the environment.

Every variable has a development default, so `make run` works with none set.
`site_config.settings_production` tightens these for deployment.
"""

import os
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

# --- Applications -----------------------------------------------------------
# `tenancy` comes before `django_tenants` so that its `migrate` command wins:
# it hands the MySQL alias to Django's own migrate.
SHARED_APPS = [
    "tenancy",
    "django_tenants",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "demo",
]
TENANT_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "data_access",
    "dashboard",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenancy.Tenant"
TENANT_DOMAIN_MODEL = "tenancy.Domain"
PUBLIC_SCHEMA_NAME = "public"
ROOT_URLCONF = "site_config.urls_tenant"
PUBLIC_SCHEMA_URLCONF = "site_config.urls_public"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = False

MIDDLEWARE = [
    "django_tenants.middleware.main.TenantMainMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:54329/contrata")
CONTRACTS_DATABASE_URL = os.environ.get(
    "CONTRACTS_DATABASE_URL", "mysql://contrata:contrata@127.0.0.1:33069/contrata"
)
CONTRACTS_DATABASE = "mysql"
# After a failure to reach MySQL, each process answers without it for this long.
CONTRACTS_BREAKER_SECONDS = float(os.environ.get("CONTRACTS_BREAKER_SECONDS", "10"))

# spider://… is a MariaDB Spider head whose tables are sharded by tenant over the
# MariaDB servers of CONTRACTS_SHARD_URLS (docs/scaling.md).
dj_database_url.register("spider", "data_access.sharding.backend")
CONTRACTS_SHARD_URLS = env_list("CONTRACTS_SHARD_URLS", [])
_mysql = dj_database_url.parse(CONTRACTS_DATABASE_URL)
_mysql["OPTIONS"] = {
    "charset": "utf8mb4",
    # ONLY_FULL_GROUP_BY keeps code tested on MariaDB valid on MySQL 8.
    "init_command": "SET sql_mode='STRICT_TRANS_TABLES,ONLY_FULL_GROUP_BY', "
    "innodb_lock_wait_timeout=10",
    # A down or unreachable MySQL must not hang pages.
    "connect_timeout": int(os.environ.get("CONTRACTS_CONNECT_TIMEOUT", "2")),
}
_mysql["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}

DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, engine="django_tenants.postgresql_backend", conn_max_age=60
    ),
    CONTRACTS_DATABASE: _mysql,
}
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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
# Host-only cookies: a session from one tenant's subdomain is worthless on another.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        # Prefix every key with the tenant's schema.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
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
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- Security ---------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
