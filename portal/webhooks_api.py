"""The API's webhook endpoints (`/api/v1/webhook-endpoints`): an organisation's programs manage
where they are told, read the delivery log and resend — as on the portal's Webhook page."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from portal import webhooks
from portal.api import MAX_LIMIT, ApiError, StrictSchema, cursor_decode, cursor_encode, responses
from portal.models import WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])


class EndpointIn(StrictSchema):
    url: str = Field(max_length=500, description="http(s) URL the events are POSTed to")
    description: str = Field("", max_length=200)
    events: list[str] = Field([], max_length=20, description="event types to send (empty: all)")


class EndpointPatch(StrictSchema):
    url: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=200)
    events: list[str] | None = Field(None, max_length=20)
    enabled: bool | None = None


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    events: list[str]
    enabled: bool
    disabled_reason: str
    secret: str = Field(description="whsec_… (Standard Webhooks); verify webhook-signature with it")
    previous_secret_until: dt.datetime | None = Field(description="during a rotation the previous secret signs too")
    created_at: dt.datetime


class EndpointPage(Schema):
    data: list[EndpointOut]
    next_cursor: str | None


class AttemptOut(Schema):
    at: dt.datetime
    status_code: int | None
    duration_ms: int
    response_body: str
    error: str


class DeliveryOut(Schema):
    id: int
    event_id: str = Field(description="the webhook-id header")
    type: str
    subject: str
    occurred_at: dt.datetime
    state: str = Field(description="pending, delivered or failed")
    attempts: list[AttemptOut]


class DeliveryPage(Schema):
    data: list[DeliveryOut]
    next_cursor: str | None


def _out(endpoint: WebhookEndpoint) -> dict:
    return {"id": endpoint.pk, "url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
            "enabled": endpoint.enabled, "disabled_reason": endpoint.disabled_reason, "secret": endpoint.secret,
            "previous_secret_until": endpoint.previous_until if endpoint.previous_secret else None,
            "created_at": endpoint.created_at}


def _events_check(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in webhooks.EVENT_TYPES]
    if unknown:
        raise ApiError(422, errors=[{"field": f"events[{events.index(e)}]", "code": "invalid", "message": _(
            "「%(e)s」というイベントはありません（%(known)s）。") % {"e": e, "known": ", ".join(webhooks.EVENT_TYPES)}}
            for e in unknown])
    return events


def _url_problem(exc: ValidationError) -> ApiError:
    return ApiError(422, errors=[{"field": "url", "code": "invalid", "message": m} for m in exc.messages])


def _endpoint(request, endpoint_id: int) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, organisation=request.auth.organisation).first()
    if endpoint is None:
        raise ApiError(404)
    return endpoint


@router.get("/webhook-endpoints", response=responses({200: EndpointPage}, 422), summary="Webhook endpoints")
def endpoints(request, limit: int = Query(50, ge=1, le=MAX_LIMIT), cursor: str | None = Query(None, max_length=200)):
    found = WebhookEndpoint.objects.filter(organisation=request.auth.organisation)
    if cursor:
        (after,) = cursor_decode(cursor, 1)
        found = found.filter(pk__gt=int(after) if str(after).isdigit() else 0)
    rows = list(found.order_by("pk")[:limit + 1])
    return {"data": [_out(e) for e in rows[:limit]], "next_cursor": cursor_encode([rows[limit - 1].pk])
            if len(rows) > limit else None}


@router.post("/webhook-endpoints", response=responses({201: EndpointOut}, 409, 415, 422),
             summary="Add a webhook endpoint (up to 10); its secret is in the answer")
def endpoint_create(request, body: EndpointIn):
    try:
        endpoint = webhooks.endpoint_create(organisation=request.auth.organisation, url=body.url,
                                            description=body.description, events=_events_check(body.events))
    except webhooks.EndpointCapReached as exc:
        raise ApiError(409, " ".join(exc.messages), slug="too-many-endpoints") from exc
    except ValidationError as exc:
        raise _url_problem(exc) from exc
    return Status(201, _out(endpoint))


@router.get("/webhook-endpoints/{endpoint_id}", response=responses({200: EndpointOut}, 404),
            summary="A webhook endpoint with its secret")
def endpoint_get(request, endpoint_id: int):
    return _out(_endpoint(request, endpoint_id))


@router.patch("/webhook-endpoints/{endpoint_id}", response=responses({200: EndpointOut}, 404, 415, 422),
              summary="Change a webhook endpoint (URL, description, events, enabled again)")
def endpoint_update(request, endpoint_id: int, body: EndpointPatch):
    endpoint = _endpoint(request, endpoint_id)
    if body.url is not None:
        try:
            endpoint.url = webhooks.url_check(body.url)
        except ValidationError as exc:
            raise _url_problem(exc) from exc
    if body.description is not None:
        endpoint.description = body.description
    if body.events is not None:
        endpoint.events = _events_check(body.events)
    if body.enabled is not None:
        endpoint.enabled = body.enabled
        if body.enabled:
            endpoint.disabled_reason, endpoint.failing_since = "", None
    endpoint.save()
    return _out(endpoint)


@router.delete("/webhook-endpoints/{endpoint_id}", response=responses({204: None}, 404),
               summary="Remove a webhook endpoint")
def endpoint_delete(request, endpoint_id: int):
    webhooks.endpoint_delete(endpoint=_endpoint(request, endpoint_id))
    return Status(204, None)


@router.post("/webhook-endpoints/{endpoint_id}/rotate-secret", response=responses({200: EndpointOut}, 404),
             summary="A new secret; the previous one signs too for 24 hours")
def endpoint_rotate(request, endpoint_id: int):
    return _out(webhooks.endpoint_rotate(endpoint=_endpoint(request, endpoint_id)))


@router.get("/webhook-endpoints/{endpoint_id}/deliveries", response=responses({200: DeliveryPage}, 404, 422),
            summary="The delivery log: every event sent to the endpoint, newest first, with each attempt")
def deliveries(request, endpoint_id: int, limit: int = Query(50, ge=1, le=MAX_LIMIT),
               cursor: str | None = Query(None, max_length=200)):
    found = WebhookDelivery.objects.filter(endpoint=_endpoint(request, endpoint_id)).select_related("event")
    if cursor:
        (before,) = cursor_decode(cursor, 1)
        found = found.filter(pk__lt=int(before) if str(before).isdigit() else 0)
    rows = list(found.order_by("-pk").prefetch_related("attempt_log")[:limit + 1])
    return {"data": [{
        "id": d.pk, "event_id": d.event.msg_id, "type": d.event.type, "subject": d.event.subject,
        "occurred_at": d.event.occurred_at, "state": d.state,
        "attempts": [{"at": a.at, "status_code": a.status_code, "duration_ms": a.duration_ms,
                      "response_body": a.response_body, "error": a.error} for a in d.attempt_log.all()]}
        for d in rows[:limit]], "next_cursor": cursor_encode([rows[limit - 1].pk]) if len(rows) > limit else None}


@router.post("/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/resend",
             response=responses({202: DeliveryOut}, 404), summary="Send a delivery again, now")
def delivery_resend(request, endpoint_id: int, delivery_id: int):
    endpoint = _endpoint(request, endpoint_id)
    delivery = WebhookDelivery.objects.filter(pk=delivery_id, endpoint=endpoint).select_related("event").first()
    if delivery is None:
        raise ApiError(404)
    webhooks.delivery_resend(delivery=delivery)
    return Status(202, {"id": delivery.pk, "event_id": delivery.event.msg_id, "type": delivery.event.type,
                        "subject": delivery.event.subject, "occurred_at": delivery.event.occurred_at,
                        "state": "pending", "attempts": []})


class InboxMessageOut(Schema):
    received_at: dt.datetime
    webhook_id: str
    type: str
    verified: bool = Field(description="the signature held with the endpoint's secret")
    body: str


class InboxOut(Schema):
    url: str = Field(description="make it an endpoint's URL to have the portal receive its own events")
    messages: list[InboxMessageOut] = Field(description="the latest 50, newest first")


@router.get("/webhook-inbox", response=responses({200: InboxOut}),
            summary="The built-in receiver (Webhook 受信箱): its URL and what it received")
def inbox(request):
    from django.urls import reverse

    box = webhooks.inbox_of(request.auth.organisation)
    url = request.build_absolute_uri(reverse("portal:webhook_inbox_receive", args=[box.token]))
    return {"url": url, "messages": [
        {"received_at": m.received_at, "webhook_id": m.msg_id, "type": m.type, "verified": m.verified,
         "body": m.body} for m in box.messages.all()[:50]]}
