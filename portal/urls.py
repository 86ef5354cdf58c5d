"""The URL root: the one module that wires every app's screens (the only upward import of portal).

The customer screens keep the `portal:` namespace the templates use, whichever app serves them:
sign-in and help (portal), contract status (numbering), dashboard and IP Voice menu (orders)."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from numbering import api as numbering_api
from numbering import views as numbering_views
from orders import api as orders_api
from orders import views as orders_views
from portal import clock_api, views, webhooks_api
from portal.api import api

api.add_router("", numbering_api.router)
api.add_router("", orders_api.router)
api.add_router("", webhooks_api.router)
api.add_router("", clock_api.router)

portal_patterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/demo/", views.demo_sign_in, name="demo_sign_in"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("api-keys/", views.api_keys, name="api_keys"),
    path("api-keys/<int:key_id>/revoke/", views.api_key_revoke, name="api_key_revoke"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/<int:endpoint_id>/", views.webhook_detail, name="webhook_detail"),
    path("webhooks/inbox/", views.webhook_inbox, name="webhook_inbox"),
    path("webhooks/inbox/<str:token>/receive/", views.webhook_inbox_receive, name="webhook_inbox_receive"),
    path("", orders_views.dashboard, name="dashboard"),
    path("help/", views.help_page, name="help"),
    path("ipvoice/", orders_views.ipvoice_menu, name="ipvoice_menu"),
    path("ipvoice/groups/", numbering_views.voice_group_list, name="voice_group_list"),
    path("ipvoice/contracts/", numbering_views.contract_list, name="contract_list"),
    path("ipvoice/contracts/<str:number>/", numbering_views.contract_detail, name="contract_detail"),
    path("ipvoice/contracts/<str:number>/base/<str:base>/", numbering_views.base_number_detail,
         name="base_number_detail"),
]

urlpatterns = [
    path("healthz/", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("ipvoice/orders/", include("orders.urls")),
    path("", include((portal_patterns, "portal"))),
]
