"""A busy database (a lock or statement timeout, a deadlock) answers a page that says so and asks
to try again — never an error page. Nothing was saved half: the request's transaction rolled back."""

import re
from urllib.parse import unquote_to_bytes

from django.shortcuts import render

from portal import clock
from portal.db import is_busy

# C0 controls but tab, line feed and carriage return, and DEL: never typed, never stored.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ControlCharactersMiddleware:
    """A NUL can be neither stored (PostgreSQL text) nor typed, nor can other control characters: a
    request carrying one in its path, query or form answers 400 with a page that says so (in
    Japanese), before any view sees it. Uploaded files are the upload checks' to judge."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("PATH_INFO", "") + "?" + request.META.get("QUERY_STRING", "")
        found = bool(CONTROL.search(raw) or CONTROL.search(unquote_to_bytes(raw).decode("utf-8", "replace")))
        if not found and request.method == "POST" and request.content_type in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            found = any(CONTROL.search(key) or any(CONTROL.search(v) for v in values)
                        for key, values in request.POST.lists())
        if found:
            return render(request, "portal/bad_request.html", status=400)
        return self.get_response(request)


class BusyDatabaseMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_busy(exception):
            response = render(request, "portal/busy.html", status=503)
            response["Retry-After"] = "5"
            return response
        return None


class OrganisationClockMiddleware:
    """A customer's request (signed in, or by API key) runs on the customer's clock: every now()
    and today() of its business reads the organisation's test clock (portal.clock)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        organisation_id = None
        if request.path_info.startswith("/api/"):
            if request.headers.get("Authorization"):
                from portal.api import ApiError, api_key_of

                try:
                    key = api_key_of(request)
                except ApiError as exc:  # throttled: answered here, as the API would
                    return exc.response()
                organisation_id = key.organisation_id if key else None
        else:
            user = getattr(request, "user", None)
            organisation_id = getattr(user, "organisation_id", None) if user and user.is_authenticated else None
        with clock.of(organisation_id):
            return self.get_response(request)
