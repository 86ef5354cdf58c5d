"""A busy database (a lock or statement timeout, a deadlock) answers a page that says so and asks
to try again — never an error page. Nothing was saved half: the request's transaction rolled back."""

from django.shortcuts import render

from portal.db import is_busy


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
