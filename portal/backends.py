"""Sign-in: the user loaded with their organisation in one query (every customer page needs it), and
the client address that sign-in throttling counts by."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class OrganisationModelBackend(ModelBackend):
    def get_user(self, user_id):
        model = get_user_model()
        try:
            user = model._default_manager.select_related("organisation").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def client_ip(request) -> str:
    """The client's address. Behind the TLS proxy (SECURE_PROXY_SSL_HEADER on), the address the proxy
    appended last to X-Forwarded-For (what the client sent before it is not to be trusted); else the
    peer's address."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded and forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")
