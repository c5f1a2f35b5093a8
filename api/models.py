"""API tokens: one table per tenant schema, so a token only opens its own tenant."""

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "ctr_"
PREFIX_LENGTH = 12  # "ctr_" and 8 random characters: enough to recognise a token


def hash_token(raw: str) -> str:
    """SHA-256 hex digest; a token has 256 random bits, so no slow hash is needed."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


class ApiToken(models.Model):
    name = models.CharField(_("name"), max_length=100, help_text=_("Who or what uses it."))
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, editable=False)
    # Only the hash is stored: a leaked database does not leak usable tokens.
    hashed_key = models.CharField(_("hashed key"), max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        # The table the model had when it lived in the dashboard app: existing tokens stay.
        db_table = "dashboard_apitoken"
        ordering = ["-created", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def set_new_key(self) -> str:
        """Give the token a fresh random key; returns the raw key, which is not kept."""
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self.prefix = raw[:PREFIX_LENGTH]
        self.hashed_key = hash_token(raw)
        return raw

    @classmethod
    def issue(cls, *, name: str) -> tuple["ApiToken", str]:
        """Create a token; returns it and its raw key (shown once, never stored)."""
        token = cls(name=name)
        raw = token.set_new_key()
        token.save()
        return token, raw
