import pytest
from django.urls import reverse

from numbering.models import DialInNumber
from tests.factories import PASSWORD


def customer_urls(contract) -> list[str]:
    base = contract.base_numbers.first()
    return [
        reverse("portal:contract_detail", args=[contract.number]),
        reverse("portal:base_number_detail", args=[contract.number, base.number]),
        reverse("portal:contract_list") + f"?group={contract.voice_group.group_id}",
    ]


def test_sign_in_page_is_japanese(client, db):
    response = client.get(reverse("portal:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "ログイン" in html and "シミュレーター" in html
    assert "弊社営業日（平日9:00~17:30）にご回答致します" in html


def test_pages_need_sign_in(client, db):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_a_customer_signs_in_and_out(client, alice):
    response = client.post(reverse("portal:login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("portal:dashboard")
    response = client.post(reverse("portal:logout"))
    assert response.status_code == 302
    assert client.get(reverse("portal:dashboard")).status_code == 302


def test_a_wrong_password_is_refused_in_japanese(client, alice):
    response = client.post(reverse("portal:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()


def test_password_change(client, alice):
    client.force_login(alice)
    response = client.post(reverse("portal:password_change"), {
        "old_password": PASSWORD, "new_password1": "an-even-better-pass-42",
        "new_password2": "an-even-better-pass-42"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("an-even-better-pass-42")


def test_dashboard_lists_only_own_voice_groups(client, contract, outsider_contract, alice):
    client.force_login(alice)
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert contract.voice_group.group_id in html
    assert outsider_contract.voice_group.group_id not in html


def test_contract_list_shows_only_own_contracts(client, contract, outsider_contract, alice):
    client.force_login(alice)
    html = client.get(reverse("portal:contract_list")).content.decode()
    assert contract.number in html
    assert outsider_contract.number not in html


def test_contract_detail_shows_cloud_in_the_type_column(client, alice):
    from tests import factories

    cloud = factories.contract(alice.organisation, "N100000055", base_numbers=["0312345600"],
                               plan="cloud")
    client.force_login(alice)
    response = client.get(reverse("portal:contract_detail", args=[cloud.number]))
    assert response.status_code == 200
    html = response.content.decode()
    related = html[html.index('id="related-info"'):]
    assert "<strong>クラウド</strong>" in related[: related.index("</table>")]


def test_contract_detail_of_a_standard_plan_shows_no_cloud(client, contract, alice):
    client.force_login(alice)
    html = client.get(reverse("portal:contract_detail", args=[contract.number])).content.decode()
    related = html[html.index('id="related-info"'):]
    assert "クラウド" not in related[: related.index("</table>")]


def test_base_number_page_lists_its_dial_in_numbers(client, contract, alice):
    base = contract.base_numbers.get()
    DialInNumber.objects.create(number="0312349001", kind="0AJ", base_number=base)
    client.force_login(alice)
    url = reverse("portal:base_number_detail", args=[contract.number, base.number])
    assert "0312349001" in client.get(url).content.decode()
    assert "0312349001" not in client.get(url + "?q=0312349002").content.decode()


def test_an_outsider_gets_404_on_every_customer_url(client, contract, charlie):
    client.force_login(charlie)
    for url in customer_urls(contract):
        assert client.get(url).status_code == 404, url


def test_a_member_of_the_same_organisation_sees_the_contract(client, contract, bob):
    client.force_login(bob)
    for url in customer_urls(contract):
        assert client.get(url).status_code == 200, url


def test_operators_are_sent_to_the_admin_not_customer_pages(client, contract, operator):
    client.force_login(operator)
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 403
    assert "管理画面" in response.content.decode()


def test_contract_list_query_count_does_not_grow(client, alice, django_assert_max_num_queries):
    from tests import factories

    for i in range(30):
        factories.contract(alice.organisation, f"N10000{i:04d}", base_numbers=[f"03123450{i:02d}"])
    client.force_login(alice)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("portal:contract_list"))
    assert response.content.decode().count("N10000") >= 30


def test_english_is_available(client, alice):
    client.force_login(alice)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("portal:dashboard")).content.decode()
    assert '<html lang="en">' in html
    assert "Dashboard" in html


@pytest.mark.parametrize("name", ["portal:ipvoice_menu", "portal:voice_group_list", "portal:help"])
def test_menu_pages_render(client, alice, name):
    client.force_login(alice)
    assert client.get(reverse(name)).status_code == 200


def test_pages_send_a_content_security_policy(client, db):
    response = client.get(reverse("portal:login"))
    assert "script-src 'self' 'nonce-" in response["Content-Security-Policy"]
