"""The API's numbering resources (read-only, scoped by the key's organisation): voice groups,
N番, their base numbers and the dial-in numbers issued on them — what ご契約・運用状況 shows."""

from django.db.models import Sum
from ninja import Field, Query, Router, Schema

from numbering import phone, selectors
from numbering.models import BaseNumber, DialInNumber, VoiceContract
from portal.api import MAX_LIMIT, ApiError, page_by, responses

router = Router(tags=["numbering"])


class ListQuery(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="rows per page (at most 200)")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the page before")


class SearchQuery(ListQuery):
    q: str = Field("", max_length=20, description="part of a number (digits; hyphens and full-width are fine)")


class VoiceGroupOut(Schema):
    group_id: str
    name: str
    contract_count: int


class VoiceGroupPage(Schema):
    data: list[VoiceGroupOut]
    next_cursor: str | None


class NetworkAddressOut(Schema):
    network: str
    prefix_length: int


class ContractOut(Schema):
    number: str = Field(description="音声契約番号 (N番)")
    voice_group: str
    service_type: str
    service_type_label: str
    plan: str = Field(description="standard or cloud")
    plan_label: str
    cloud: bool
    members_net: bool
    emergency_area: bool
    oaj_used: bool = Field(description="0AJ numbers were used on this N番 before")
    holder_name: str
    installation_address: str
    area_code: str
    base_number_count: int


class FreephoneLinkOut(Schema):
    kind: str
    kind_label: str
    number: str
    completed_on: str | None


class ContractDetailOut(ContractOut):
    network_addresses: list[NetworkAddressOut] = Field(description="0AJ利用拠点NWアドレス")
    freephone_links: list[FreephoneLinkOut] = Field(description="フリーダイヤル等の着信先としての利用")
    representative_group_size: int = Field(description="numbers in the representative groups of its base numbers")


class ContractPage(Schema):
    data: list[ContractOut]
    next_cursor: str | None


class BaseNumberOut(Schema):
    number: str
    kind: str = Field(description="0AJ or 050")
    representative_size: int | None = Field(description="numbers in its representative group (E8); null: none")
    dial_in_count: int


class BaseNumberPage(Schema):
    data: list[BaseNumberOut]
    next_cursor: str | None


class DialInOut(Schema):
    number: str
    kind: str
    status: str
    activated_on: str | None
    source: str = Field(description="the request ID of the order that issued it, if any")
    message_box: bool
    anonymous_call_rejection: bool
    nuisance_call_rejection: bool
    specific_number_notification: str
    forwarding_specific_number: str


class DialInPage(Schema):
    data: list[DialInOut]
    next_cursor: str | None


def _contract(c: VoiceContract) -> dict:
    return {
        "number": c.number, "voice_group": c.voice_group.group_id, "service_type": c.service_type,
        "service_type_label": c.get_service_type_display(), "plan": c.plan, "plan_label": str(c.get_plan_display()),
        "cloud": c.is_cloud, "members_net": c.members_net, "emergency_area": c.emergency_area,
        "oaj_used": c.oaj_used, "holder_name": c.holder_name, "installation_address": c.installation_address,
        "area_code": c.area_code, "base_number_count": getattr(c, "base_number_count", 0),
    }


def _digits(q: str) -> str:
    query = phone.normalise(q)
    if query and not query.isdigit():
        raise ApiError(422, errors=[{"field": "q", "code": "invalid", "message": "番号は数字で入力してください。"}])
    return query


@router.get("/voice-groups", response=responses({200: VoiceGroupPage}), summary="The organisation's voice groups")
def voice_groups(request, query: Query[ListQuery]):
    groups = selectors.voice_groups_for(organisation=request.auth.organisation)
    rows, after = page_by(groups, "group_id", cursor=query.cursor, limit=query.limit)
    return {"data": [{"group_id": g.group_id, "name": g.name, "contract_count": g.contract_count} for g in rows],
            "next_cursor": after}


@router.get("/contracts", response=responses({200: ContractPage}), summary="N番 of the organisation")
def contracts(request, query: Query[SearchQuery]):
    found = selectors.contracts_for(organisation=request.auth.organisation)
    if query.q.strip():
        found = found.filter(number__icontains=query.q.strip())
    rows, after = page_by(found, "number", cursor=query.cursor, limit=query.limit)
    return {"data": [_contract(c) for c in rows], "next_cursor": after}


@router.get("/contracts/{number}", response=responses({200: ContractDetailOut}, 404), summary="One N番")
def contract(request, number: str):
    c = selectors.contracts_for(organisation=request.auth.organisation).filter(number=number).first()
    if c is None:
        raise ApiError(404)
    total = BaseNumber.objects.filter(contract=c).aggregate(total=Sum("representative_size"))["total"] or 0
    return {**_contract(c), "representative_group_size": total,
            "network_addresses": [{"network": n.network, "prefix_length": n.prefix_length}
                                  for n in selectors.network_addresses_for(contract=c)],
            "freephone_links": [{"kind": f.kind, "kind_label": str(f.get_kind_display()), "number": f.number,
                                 "completed_on": f.completed_on.isoformat() if f.completed_on else None}
                                for f in c.freephone_links.all()]}


@router.get("/contracts/{number}/base-numbers", response=responses({200: BaseNumberPage}, 404, 422),
            summary="Base numbers of an N番, searchable as on screen")
def base_numbers(request, number: str, query: Query[SearchQuery]):
    c = selectors.contracts_for(organisation=request.auth.organisation).filter(number=number).first()
    if c is None:
        raise ApiError(404)
    found = selectors.base_numbers_for_contract(contract=c)
    if digits := _digits(query.q):
        found = found.filter(number__contains=digits)
    rows, after = page_by(found, "number", cursor=query.cursor, limit=query.limit)
    return {"data": [{"number": b.number, "kind": b.kind, "representative_size": b.representative_size,
                      "dial_in_count": b.dial_in_count} for b in rows], "next_cursor": after}


@router.get("/base-numbers/{number}/dial-in-numbers", response=responses({200: DialInPage}, 404, 422),
            summary="Dial-in numbers issued on a base number")
def dial_in_numbers(request, number: str, query: Query[SearchQuery]):
    base = BaseNumber.objects.filter(number=phone.normalise(number),
                                     contract__voice_group__organisation=request.auth.organisation).first()
    if base is None:
        raise ApiError(404)
    found = DialInNumber.objects.filter(base_number=base)
    if digits := _digits(query.q):
        found = found.filter(number__contains=digits)
    rows, after = page_by(found, "number", cursor=query.cursor, limit=query.limit)
    return {"data": [{
        "number": d.number, "kind": d.kind, "status": d.status,
        "activated_on": d.activated_on.isoformat() if d.activated_on else None, "source": d.source,
        "message_box": d.message_box, "anonymous_call_rejection": d.anonymous_call_rejection,
        "nuisance_call_rejection": d.nuisance_call_rejection,
        "specific_number_notification": d.specific_number_notification,
        "forwarding_specific_number": d.forwarding_specific_number} for d in rows], "next_cursor": after}
