"""Demo mode's tools: one-click sign-in with the demo accounts on the sign-in page, and an
operator's "reset the demo" (asked first). Neither exists outside demo mode."""

from django.urls import reverse

from orders import demo
from orders.models import Order
from portal.models import User
from tests import factories


def test_the_sign_in_page_lists_the_demo_accounts_for_one_click_sign_in(client, db, settings):
    settings.PORTAL_DEMO_MODE = True
    demo.demo_load()
    page = client.get(reverse("portal:login")).content.decode()
    assert "デモ用アカウント" in page and "demo でログイン" in page and "operator でログイン" in page
    assert "demo-2026" not in page  # no password needed, none shown
    response = client.post(reverse("portal:demo_sign_in"), {"username": "demo"})
    assert response.url == reverse("portal:dashboard")
    assert "デモ商事株式会社" in client.get(reverse("portal:dashboard")).content.decode()
    client.logout()
    assert client.post(reverse("portal:demo_sign_in"), {"username": "operator"}).url == reverse("admin:index")
    client.logout()
    factories.customer("someone", User.objects.get(username="demo").organisation)
    assert client.post(reverse("portal:demo_sign_in"), {"username": "someone"}).status_code == 404


def test_outside_demo_mode_there_is_no_list_and_no_one_click_sign_in(client, db, settings):
    demo.demo_load()
    settings.PORTAL_DEMO_MODE = False
    assert "デモ用アカウント" not in client.get(reverse("portal:login")).content.decode()
    assert client.post(reverse("portal:demo_sign_in"), {"username": "demo"}).status_code == 404
    assert "_auth_user_id" not in client.session


def test_an_operator_resets_the_demo_after_confirming(client, db, settings):
    settings.PORTAL_DEMO_MODE = True
    demo.demo_load()
    operator = User.objects.get(username="operator")
    first = set(Order.objects.values_list("request_id", flat=True))
    Order.objects.filter(request_id__in=list(first)[:2]).delete()
    client.force_login(operator)
    url = reverse("admin:orders_demo_reset")
    page = client.get(url).content.decode()
    assert "この操作は元に戻せません" in page and "はい、デモをリセットします" in page
    assert client.post(url).url == reverse("admin:index")
    assert Order.objects.count() == len(first)  # the demo as loaded, afresh
    assert User.objects.filter(username="demo").exists()
    settings.PORTAL_DEMO_MODE = False
    assert client.get(url).status_code == 404


def test_customers_cannot_reset_the_demo(client, alice, settings):
    settings.PORTAL_DEMO_MODE = True
    client.force_login(alice)
    response = client.post(reverse("admin:orders_demo_reset"))
    assert response.status_code == 302 and "/admin/login/" in response.url
