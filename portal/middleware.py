"""A busy database (a lock or statement timeout, a deadlock) answers a page that says so and asks
to try again — never an error page. Nothing was saved half: the request's transaction rolled back."""

from urllib.parse import unquote_to_bytes

from django.shortcuts import render

from portal.db import is_busy


class NulBytesMiddleware:
    """A NUL character can be neither stored (PostgreSQL text) nor typed: a request carrying one in
    its path, query or form answers 400 with a page that says so, before any view sees it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        raw_path = request.META.get("PATH_INFO", "") + "?" + request.META.get("QUERY_STRING", "")
        found = "\x00" in raw_path or b"\x00" in unquote_to_bytes(raw_path)
        if not found and request.method == "POST" and request.content_type in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            found = any("\x00" in key or any("\x00" in v for v in values)
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
