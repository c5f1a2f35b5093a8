"""Who may read the API: a token of this tenant, or an active staff user."""

from typing import TYPE_CHECKING

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from api.models import ApiToken

if TYPE_CHECKING:  # DRF imports its settings' classes before rest_framework.views
    from rest_framework.views import APIView


class IsTokenOrStaff(BasePermission):
    message = "Only staff may use the API."

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if isinstance(request.auth, ApiToken):
            return True
        user = request.user
        if not user.is_authenticated:
            raise NotAuthenticated(
                "Authentication required: send 'Authorization: Bearer <token>' or log in."
            )
        return user.is_active and user.is_staff
