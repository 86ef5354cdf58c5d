"""犯罪収益移転防止法に関するご確認: shown for a cloud plan adding 0ABJ numbers; uploads refused
unless the extension is listed, the size is within limits and the content matches."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from numbering.services import stock_add_range
from orders.attachments import stored_path
from orders.lead_times import earliest_date
from orders.models import Attachment, Order
from tests import factories
from tests.orders.test_scheduled_wizard import CONTACT, add_item, s_url, start

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def cloud(alice):
    contract = factories.contract(alice.organisation, "N100000010", base_numbers=["0312345678"], plan="cloud")
    stock_add_range(first="0312350000", last="0312350099")
    return contract


def other_step(client, draft, upload=None, **fields):
    data = {**factories.nw(("add", "192.0.2.0", "24")), "action": "next",
            "date": earliest_date(items={"dialin", "aml", "nw_address"}).isoformat(),
            "aml_changed": "変更なし", "aml_person": "山田太郎", "aml_dept": "総務部", "aml_recipient": "山田太郎",
            **fields}
    if upload is not None:
        data["aml_file"] = upload
    return client.post(s_url(draft, 4), data)


def to_other(client, alice, cloud):
    draft = start(client, alice, cloud)
    add_item(client, draft, [("0312345678", "0AJ", "2")])
    client.post(s_url(draft, 3), {"action": "next"})
    return draft


@pytest.mark.parametrize(("name", "content", "message"), [
    ("form.exe", PDF, "アップロードできるファイルの種類"),
    ("form.pdf", PNG, "拡張子（.pdf）と一致しません"),
    ("form.docx", PDF, "拡張子（.docx）と一致しません"),
    ("form.pdf", b"", "ファイルが空です"),
    ("form.pdf", PDF + b"\x00" * (10 * 1024 * 1024), "10MBまで"),
])
def test_uploads_are_refused_with_a_reason(client, alice, cloud, name, content, message):
    draft = to_other(client, alice, cloud)
    assert "犯罪収益移転防止法に関するご確認" in client.get(s_url(draft, 4)).content.decode()
    response = other_step(client, draft, SimpleUploadedFile(name, content))
    assert response.status_code == 422 and message in response.content.decode()
    assert not Attachment.objects.exists()


def test_full_width_limits_and_a_file_are_required(client, alice, cloud):
    draft = to_other(client, alice, cloud)
    page = other_step(client, draft, aml_person="Taro", aml_dept="").content.decode()
    assert "取引担当者名（確認用）は全角20文字以内" in page and "送付先部署名を入力してください" in page
    assert "取引時確認記録登録申込書をアップロードしてください" in page


def test_an_accepted_upload_is_kept_outside_the_web_root_and_served_only_to_its_owners(
        client, alice, bob, charlie, operator, cloud, settings):
    draft = to_other(client, alice, cloud)
    response = other_step(client, draft, SimpleUploadedFile("記録.pdf", PDF))
    assert response.url == s_url(draft, 5)
    attachment = Attachment.objects.get()
    assert stored_path(attachment).read_bytes() == PDF
    assert str(settings.VAR_DIR) in str(stored_path(attachment)) and "static" not in str(stored_path(attachment))
    client.post(s_url(draft, 5), CONTACT)
    client.post(s_url(draft, 6))
    order = Order.objects.get()
    attachment.refresh_from_db()
    assert attachment.order == order and order.details["aml"]["person"] == "山田太郎"
    url = reverse("orders:attachment", args=[attachment.pk])
    client.force_login(bob)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    client.force_login(operator)
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302


def test_no_aml_section_for_a_standard_plan_or_050(client, alice, contract):
    stock_add_range(first="05012350000", last="05012350009")
    draft = start(client, alice, contract)
    add_item(client, draft, [("0312345678", "050", "1")])
    client.post(s_url(draft, 3), {"action": "next"})
    assert "取引担当者名（確認用）" not in client.get(s_url(draft, 4)).content.decode()


def test_step_4_reloads_after_a_post_without_a_file(client, alice, cloud):
    draft = to_other(client, alice, cloud)
    assert other_step(client, draft, action="nw:add").status_code == 200
    assert client.get(s_url(draft, 4)).status_code == 200


def test_a_new_upload_replaces_the_file_before_it(client, alice, cloud, django_capture_on_commit_callbacks):
    draft = to_other(client, alice, cloud)
    other_step(client, draft, SimpleUploadedFile("古い.pdf", PDF), aml_person="")  # refused step, file kept
    first = Attachment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = other_step(client, draft, SimpleUploadedFile("新しい.pdf", PDF + b"%new"))
    assert response.url == s_url(draft, 5)
    kept = Attachment.objects.get()
    assert kept.original_name == "新しい.pdf" and not stored_path(first).exists()
    assert stored_path(kept).read_bytes() == PDF + b"%new"


def test_a_discarded_draft_takes_its_files_and_the_sweep_finds_strays(
        client, alice, cloud, django_capture_on_commit_callbacks):
    import datetime as dt
    import os

    from orders.attachments import attachments_sweep, upload_dir
    from portal import clock

    draft = to_other(client, alice, cloud)
    other_step(client, draft, SimpleUploadedFile("記録.pdf", PDF))
    attachment = Attachment.objects.get()
    url = reverse("orders:attachment", args=[attachment.pk])
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("orders:draft_discard", args=[draft.pk]))
    assert not Attachment.objects.exists() and not stored_path(attachment).exists()
    assert client.get(url).status_code == 404
    # Strays: a file without a row, and a row whose draft went some other way; fresh ones are kept.
    stray = upload_dir() / ("0" * 32)
    stray.write_bytes(PDF)
    fresh = upload_dir() / ("1" * 32)
    fresh.write_bytes(PDF)
    hours_ago = (clock.now() - dt.timedelta(hours=2)).timestamp()
    os.utime(stray, (hours_ago, hours_ago))
    orphan = Attachment.objects.create(organisation=alice.organisation, original_name="x.pdf", size=1, sha256="",
                                       uploaded_at=clock.now() - dt.timedelta(hours=2))
    stored_path(orphan).write_bytes(PDF)
    with django_capture_on_commit_callbacks(execute=True):
        attachments_sweep()
    assert not stray.exists() and fresh.exists() and not Attachment.objects.exists()
    assert not stored_path(orphan).exists()
    fresh.unlink()


def test_a_huge_upload_is_refused_while_it_streams_in(client, alice, cloud):
    """30 MB posted: the server stops at the 10 MB limit and skips the rest in chunks; its memory
    stays far below the file's size, and the step says why."""
    import tracemalloc

    from django.test import RequestFactory
    from django.test.client import ClientHandler

    draft = to_other(client, alice, cloud)
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())
    big = SimpleUploadedFile("記録.pdf", PDF + b"\x00" * (30 * 1024 * 1024))
    request = RequestFactory().post(s_url(draft, 4), {**factories.nw(("add", "192.0.2.0", "24")), "action": "next",
                                                      "aml_file": big}, HTTP_COOKIE=cookie)
    tracemalloc.start()
    try:
        response = ClientHandler(enforce_csrf_checks=False)(request.environ)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 422 and "10MBまで" in response.content.decode()
    assert peak < 8 * 1024 * 1024 and not Attachment.objects.exists()
