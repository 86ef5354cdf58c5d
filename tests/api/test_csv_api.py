"""POST /orders/csv: the screens' CSV files (UTF-8 or Shift_JIS), errors by line and column,
nothing placed from a file with errors."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from orders import csv_input
from orders.lead_times import earliest_date
from orders.models import Order

CONTACT = {"contact_name": "山田 太郎", "contact_phone": "03-1111-2222", "contact_email": "yamada@example.com"}


def _csv(lines, columns=csv_input.COLUMNS, encoding="utf-8-sig"):
    return ("\r\n".join([",".join(columns), *lines]) + "\r\n").encode(encoding)


def _post(api, data, **fields):
    return api.post("/orders/csv", data={"file": SimpleUploadedFile("order.csv", data, "text/csv"),
                                         **CONTACT, **fields})


def test_an_immediate_csv_file_places_its_order(api, stocked):
    response = _post(api, _csv(["0312345678,0AJ,2,", "0312345678,050番号,1,"], encoding="cp932"))
    assert response.status_code == 201, response.json()
    order = response.json()["data"][0]
    assert [(i["kind"], i["quantity"]) for i in order["items"]] == [("0AJ", 2), ("050", 1)]
    assert response["Location"].endswith(order["request_id"])


def test_a_csv_file_s_errors_come_by_line_and_column_and_nothing_is_placed(api, stocked):
    response = _post(api, _csv(["0312345678,0AJ,2,", "0312345678,0AJ,0,", "0399999999,050,1,"]))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"line": 3, "field": "追加番号数", "code": "invalid"}.items() <= errors[0].items()
    assert any(e["line"] == 4 and e["field"] == "基本契約番号" for e in errors), errors
    assert not Order.objects.exists()
    header = _post(api, _csv(["0312345678,0AJ,2,"], columns=["a", "b", "c", "d"]))
    assert header.status_code == 422 and header.json()["errors"][0]["line"] == 1
    nothing = _post(api, b"")
    assert nothing.status_code == 422


def test_a_scheduled_order_takes_a_porting_csv_into_its_item(api, stocked):
    day = earliest_date(items={"dialin", "porting", "nw_address"})
    order = {"flow": "scheduled", "contract": stocked.number, "items": [{"type": "porting", "remaining": "無"}],
             "contact": {"name": "山田 太郎", "phone": "03-1111-2222", "email": "yamada@example.com"},
             "network_changes": [{"action": "add", "network": "198.51.100.0", "prefix": 28}],
             "construction": {"date": day.isoformat()}}
    good = "0312345678,0311110001,東日本電話,,ひかり電話,IPVoice名義と同じ,,IPVoice申込設置場所住所と同じ,,,"
    bad = "0312345678,0311110002,,,ISDN回線,IPVoice名義と同じ,,IPVoice申込設置場所住所と同じ,,,"
    response = _post(api, _csv([good, bad], columns=csv_input.PORT_COLUMNS), flow="scheduled",
                     order=json.dumps(order, ensure_ascii=False))
    assert response.status_code == 422
    lines = {(e.get("line"), e.get("field")) for e in response.json()["errors"]}
    assert (3, "電話事業者名1") in lines and (3, "DSU/配線等の撤去") in lines, lines
    response = _post(api, _csv([good], columns=csv_input.PORT_COLUMNS), flow="scheduled",
                     order=json.dumps(order, ensure_ascii=False))
    assert response.status_code == 201, response.json()
    assert response.json()["data"][0]["items"][0]["ported_number"] == "0311110001"
    broken = _post(api, _csv([good], columns=csv_input.PORT_COLUMNS), flow="scheduled", order="{")
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"].startswith("order")
