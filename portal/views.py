"""The kernel's screens: sign-in, password change, help; `customer_required` for every app's views."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

PAGE_SIZE = 100


def query_without_page(request: HttpRequest) -> str:
    """The current filters, for paging links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def customer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and belonging to an organisation; operators use the admin instead."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.organisation_id is None:
            return render(request, "portal/operator_only.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


class LoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "portal/password_change.html"
    success_url = reverse_lazy("portal:password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "portal/password_change_done.html"


def help_page(request: HttpRequest) -> HttpResponse:
    """困ったときは: public, so it is reachable from the sign-in page too."""
    return render(request, "portal/help.html")
