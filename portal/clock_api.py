"""The API's test clock (`/api/v1/test-clock`): the key's organisation reads its own clock and moves
it forward; the work due up to then runs in time order and `status` turns `ready` (a
`test_clock.ready` webhook says so). Demo mode only, as the demo clock."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from portal import test_clocks
from portal.api import ApiError, StrictSchema, responses

router = Router(tags=["test clock"])


class ClockOut(Schema):
    now: dt.datetime = Field(description="the organisation's time now (+09:00)")
    offset_seconds: int = Field(description="how far ahead of real time")
    status: str = Field(description="ready, or advancing while due work runs")
    advancing_to: dt.datetime | None
    own: bool = Field(description="the organisation has a clock of its own (else the installation's demo clock)")


class AdvanceIn(StrictSchema):
    to: dt.datetime = Field(description="the time to move to (with an offset, e.g. 2027-01-15T10:00:00+09:00)")


def _state(request) -> dict:
    return test_clocks.clock_state(request.auth.organisation_id)


@router.get("/test-clock", response=responses({200: ClockOut}, 403), summary="The organisation's test clock")
def clock_get(request):
    try:
        test_clocks.clock_of(request.auth.organisation_id)
    except ValidationError as exc:
        raise ApiError(403, exc.messages[0], slug="demo-only") from exc
    return _state(request)


@router.post("/test-clock/advance", response=responses({202: ClockOut}, 403, 409, 415, 422),
             summary="Move the organisation's clock forward; due work runs in time order until status is ready")
def clock_advance(request, body: AdvanceIn):
    to = body.to if timezone.is_aware(body.to) else timezone.make_aware(body.to)
    try:
        test_clocks.clock_advance_start(organisation_id=request.auth.organisation_id, to=to)
    except test_clocks.ClockBusy as exc:
        raise ApiError(409, exc.messages[0], slug="clock-advancing", headers={"Retry-After": "1"}) from exc
    except ValidationError as exc:
        if "PORTAL_DEMO_CLOCK" in exc.messages[0]:
            raise ApiError(403, exc.messages[0], slug="demo-only") from exc
        raise ApiError(422, errors=[{"field": "to", "code": "invalid", "message": exc.messages[0]}]) from exc
    return Status(202, _state(request))


