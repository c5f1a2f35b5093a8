"""Production settings: everything from `settings`, with DEBUG off and HTTPS on.

Refuses to start without a secure SECRET_KEY in the environment.
"""

import os

from site_config.settings import *  # noqa: F403
from site_config.settings import SECRET_KEY, env_bool, require_secure_secret_key

DEBUG = False
require_secure_secret_key(SECRET_KEY)

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
