"""Who is calling the API: one of the tenant's API tokens, or a staff session.

Tokens, users and sessions all live in the current tenant's schema, so
credentials of one tenant mean nothing on another tenant's host.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from api.models import ApiToken, hash_token

MAX_TOKEN_LENGTH = 200
# Writing last_used on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class TokenCaller:
    """request.user for a token request: the token speaks for no user account."""

    token: ApiToken

    pk = None
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False

    def get_username(self) -> str:
        return self.token.name

    def __str__(self) -> str:
        return str(self.token)


def bearer_token(request: Request) -> str | None:
    """The token of an "Authorization: Bearer …" header; "" for any other header,
    None when no Authorization header was sent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _space, token = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


class BearerTokenAuthentication(BaseAuthentication):
    """An Authorization header, when sent, decides alone: a bad token is never
    rescued by a session cookie riding along (it raises, so DRF tries nothing else)."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[TokenCaller, ApiToken] | None:
        raw = bearer_token(request)
        if raw is None:
            return None
        token = self.active_token(raw)
        if token is None:
            raise AuthenticationFailed("Invalid or revoked API token.")
        return TokenCaller(token), token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to missing or bad credentials.
        return f'{self.keyword} realm="api"'

    @staticmethod
    def active_token(raw: str) -> ApiToken | None:
        if not raw or len(raw) > MAX_TOKEN_LENGTH:
            return None
        token = ApiToken.objects.filter(hashed_key=hash_token(raw), revoked=False).first()
        if token is None:
            return None
        now = timezone.now()
        if token.last_used is None or now - token.last_used > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used=now)
            token.last_used = now
        return token
