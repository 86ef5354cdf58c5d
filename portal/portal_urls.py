from django.contrib.auth import views as auth_views
from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("", views.dashboard, name="dashboard"),
    path("help/", views.help_page, name="help"),
    path("ipvoice/", views.ipvoice_menu, name="ipvoice_menu"),
    path("ipvoice/groups/", views.voice_group_list, name="voice_group_list"),
    path("ipvoice/contracts/", views.contract_list, name="contract_list"),
    path("ipvoice/contracts/<str:number>/", views.contract_detail, name="contract_detail"),
    path(
        "ipvoice/contracts/<str:number>/base/<str:base>/",
        views.base_number_detail,
        name="base_number_detail",
    ),
]
