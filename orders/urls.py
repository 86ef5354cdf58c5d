from django.urls import path

from orders import views
from orders.flows import draft_pages, scheduled
from orders.flows import immediate as wizard

app_name = "orders"
urlpatterns = [
    path("change/", views.change_menu, name="change_menu"),
    path("precheck/", views.precheck, name="precheck"),
    path("precheck/decision/", views.precheck_decision, name="precheck_decision"),
    path("immediate/", wizard.immediate_start, name="immediate_start"),
    path("immediate/group/<str:group_id>/", wizard.immediate_menu, name="immediate_menu"),
    path("scheduled/", scheduled.scheduled_start, name="scheduled_start"),
    path("scheduled/group/<str:group_id>/new/", scheduled.scheduled_new, name="scheduled_new"),
    path("drafts/<uuid:draft_id>/s/<int:step>/", scheduled.scheduled_step, name="scheduled_step"),
    path("drafts/<uuid:draft_id>/item/<int:sub>/", scheduled.scheduled_item, name="scheduled_item"),
    path("drafts/<uuid:draft_id>/item/rows/", scheduled.scheduled_item_rows, name="scheduled_item_rows"),
    path("drafts/<uuid:draft_id>/item/bases/", scheduled.scheduled_item_bases, name="scheduled_item_bases"),
    path("drafts/<uuid:draft_id>/item/template.csv", scheduled.scheduled_csv_template,
         name="scheduled_csv_template"),
    path("drafts/", draft_pages.draft_list, name="draft_list"),
    path("drafts/<uuid:draft_id>/", draft_pages.draft_resume, name="draft_resume"),
    path("drafts/<uuid:draft_id>/discard/", draft_pages.draft_discard, name="draft_discard"),
    path("drafts/<uuid:draft_id>/step/<int:step>/", wizard.wizard_step, name="wizard_step"),
    path("drafts/<uuid:draft_id>/bases/", wizard.wizard_bases, name="wizard_bases"),
    path("drafts/<uuid:draft_id>/rows/", wizard.wizard_rows, name="wizard_rows"),
    path("drafts/<uuid:draft_id>/template.csv", wizard.wizard_csv_template, name="wizard_csv_template"),
    path("drafts/<uuid:draft_id>/accepted/", draft_pages.wizard_accepted, name="wizard_accepted"),
    path("history/", views.history, name="history"),
    path("mail/", views.mailbox, name="mailbox"),
    path("attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment"),
    path("forms/aml/", views.aml_form, name="aml_form"),
    path("mail/<int:mail_id>/", views.mail_detail, name="mail_detail"),
    path("mail/<int:mail_id>/html/", views.mail_html, name="mail_html"),
    path("history/<str:request_id>/", views.order_detail, name="order_detail"),
    path("history/<str:request_id>/progress/", views.order_progress, name="order_progress"),
    path("history/<str:request_id>/cancel/", views.order_cancel, name="order_cancel"),
    path("history/<str:request_id>/numbers/", views.issued_numbers, name="issued_numbers"),
    path("history/<str:request_id>/numbers.csv", views.issued_numbers_csv, name="issued_numbers_csv"),
]
