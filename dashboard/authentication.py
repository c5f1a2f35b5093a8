"""Who is calling the API: a staff session of this tenant or one of its API tokens.

Both live in the current tenant's schema (sessions, users and tokens are tenant
tables), so credentials of one tenant mean nothing on another tenant's host.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from dashboard.models import ApiToken, hash_token

MAX_TOKEN_LENGTH = 200
# Writing last_used on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ApiCaller:
    kind: str  # "session" or "token"
    name: str


@dataclass(frozen=True, slots=True)
class AuthFailure:
    status: int
    message: str


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an "Authorization: Bearer …" header; "" for any other header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def token_caller(raw: str) -> ApiCaller | None:
    if not raw or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = ApiToken.objects.filter(hashed_key=hash_token(raw), revoked=False).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return ApiCaller(kind="token", name=token.name)


def authenticate(request: HttpRequest) -> ApiCaller | AuthFailure:
    """An Authorization header, when sent, decides alone: a bad token is never
    rescued by a session cookie riding along."""
    raw = bearer_token(request)
    if raw is not None:
        caller = token_caller(raw)
        return caller or AuthFailure(401, "Invalid or revoked API token.")
    user = request.user
    if not user.is_authenticated:
        return AuthFailure(
            401, "Authentication required: send 'Authorization: Bearer <token>' or log in."
        )
    if not (user.is_active and user.is_staff):
        return AuthFailure(403, "Only staff may use the API.")
    return ApiCaller(kind="session", name=user.get_username())
