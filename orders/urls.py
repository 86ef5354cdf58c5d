from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("change/", views.change_menu, name="change_menu"),
    path("precheck/", views.precheck, name="precheck"),
    path("precheck/decision/", views.precheck_decision, name="precheck_decision"),
    path("history/", views.history, name="history"),
    path("history/<str:request_id>/", views.order_detail, name="order_detail"),
]
