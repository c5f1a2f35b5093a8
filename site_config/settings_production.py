"""Production settings: everything from `settings`, with DEBUG off and HTTPS on.

Refuses to start without a secure SECRET_KEY in the environment. Static files
are served by WhiteNoise from STATIC_ROOT (run `collectstatic` first), with
hashed, compressed names and far-future Cache-Control.
"""

import os

from site_config.settings import *  # noqa: F403
from site_config.settings import MIDDLEWARE, SECRET_KEY, env_bool, require_secure_secret_key

DEBUG = False
require_secure_secret_key(SECRET_KEY)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Right after SecurityMiddleware, as WhiteNoise asks: static files never reach the
# tenant lookup. (runserver serves them itself in development.)
MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)

# HTTPS=false only for plain-http serving on localhost (`make run`, compose):
# no redirect to https and cookies sent without TLS. Deployments keep the default.
HTTPS = env_bool("HTTPS", True)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
