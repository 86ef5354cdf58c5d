"""The API's kernel: the one NinjaAPI object under /api/v1/, its key authentication, its errors
(RFC 9457 problem details, every one of them) and its idempotency layer. Each app adds its own
router (numbering/api.py, orders/api.py); the URL root mounts them.

    request ─► ApiMiddleware (problem details for anything under /api/, Idempotency-Key on POST)
            ─► NinjaAPI (KeyAuth: Bearer key, throttles) ─► an app's router ─► the app's services
"""

import contextlib
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import Swagger
from ninja.parser import Parser
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer
from pydantic import ConfigDict

from portal.apikeys import api_key_authenticate
from portal.middleware import CONTROL
from portal.models import ApiKey, IdempotencyRecord

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"


# --- Problem details (RFC 9457) -----------------------------------------------------------------

class ProblemItem(Schema):
    """One problem of a request: where (a field path such as `rows[3].quantity`, or a CSV line),
    which rule or check (`B1`, `E2`, `required`, …) and what to do, in the request's language."""

    field: str | None = None
    line: int | None = None
    code: str
    message: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] = []


def _titles() -> dict[int, str]:
    return {
        400: _("リクエストが正しくありません"), 401: _("認証が必要です"), 403: _("権限がありません"),
        404: _("見つかりません"), 405: _("このメソッドは使えません"), 409: _("処理中のリクエストと重なりました"),
        413: _("リクエストが大きすぎます"), 415: _("この形式は受け付けられません"),
        422: _("入力内容に誤りがあります"), 429: _("リクエストが多すぎます"),
        500: _("サーバーでエラーが発生しました"), 503: _("ただいま混み合っています"),
    }


def _details() -> dict[int, str]:
    return {
        400: _("リクエストの形式を確認してください。"),
        401: _("有効な API キーを Authorization: Bearer で送ってください。"),
        403: _("この操作は許可されていません。"),
        404: _("お探しのものは見つかりませんでした（URL、または他のお客様のものです）。"),
        405: _("この URL はこのメソッドを受け付けません。"),
        413: _("リクエストの本文が大きすぎます。"),
        415: _("Content-Type: application/json で送ってください。"),
        422: _("入力内容を確認してください。"),
        429: _("しばらく待ってからもう一度お試しください。"),
        500: _("エラーが発生しました。時間をおいてもう一度お試しください。"),
        503: _("ただいま混み合っています。少し待ってからもう一度お試しください。"),
    }


def problem_response(status: int, *, detail: str = "", errors: list[dict] | None = None, slug: str = "",
                     headers: dict[str, str] | None = None) -> JsonResponse:
    body = {
        "type": f"urn:ipvoice-sim:problem:{slug}" if slug else "about:blank",
        "title": _titles().get(status, str(status)),
        "status": status,
        "detail": detail or _details().get(status, ""),
        "errors": [{k: v for k, v in e.items() if v is not None} for e in errors or []],
    }
    response = JsonResponse(body, status=status, content_type=PROBLEM_TYPE,
                            json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    response["Content-Language"] = (getattr(response, "_language", "") or _current_language())
    return response


def _current_language() -> str:
    from django.utils import translation

    return (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]


class ApiError(Exception):
    """An error an operation answers as problem details: its status, what went wrong, the
    problems by field or line, and headers (Retry-After, Location)."""

    def __init__(self, status: int, detail: str = "", *, errors: list[dict] | None = None, slug: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors, self.slug = status, detail, errors or [], slug
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        return problem_response(self.status, detail=self.detail, errors=self.errors, slug=self.slug,
                                headers=self.headers)


# Discriminated unions' tags, which pydantic puts in an error's location; never a field's name.
UNION_TAGS = frozenset({"immediate", "scheduled", "dialin", "porting"})


def field_path(loc) -> str:
    """A pydantic location as a field path: ("rows", 3, "quantity") → "rows[3].quantity"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def validation_items(errors: list[dict]) -> list[dict]:
    items = []
    for error in errors:
        loc = [part for part in error.get("loc", ()) if part not in UNION_TAGS]
        if loc and loc[0] in ("body", "query", "path", "file", "form"):
            source = loc.pop(0)
            if source == "body" and loc and loc[0] in ("payload", "body"):
                loc.pop(0)
        kind = error.get("type", "")
        if kind == "missing":
            code, message = "required", _("入力してください。")
        elif kind == "extra_forbidden":
            code, message = "unknown_field", _("この項目はありません。")
        else:
            code = "invalid"
            message = _("形式が正しくありません（%(reason)s）。") % {"reason": error.get("msg", "")}
        items.append({"field": field_path(loc) or None, "code": code, "message": message})
    return items


# --- Authentication and throttles ------------------------------------------------------------------

class KeyAuth(HttpBearer):
    """Authorization: Bearer <key> (portal.apikeys): the key acts for its user and organisation."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest):
        key = api_key_of(request)
        if key is None:
            return None
        request.user = key.user
        return key

    def authenticate(self, request: HttpRequest, token: str):  # pragma: no cover - __call__ does it
        return api_key_of(request)


_NOT_READ = object()


def _client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def api_key_of(request: HttpRequest) -> ApiKey | None:
    """The request's valid key, read once per request; a key over its rate answers 429. Failed
    authentications are counted per address: past PORTAL_API_AUTH_FAILURES in the window, every
    failing attempt from there answers 429 (guessing keys goes nowhere), while a valid key from the
    same address (another program behind the same office NAT) is still served."""
    cached = getattr(request, "_api_key", _NOT_READ)
    if cached is not _NOT_READ:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    key = api_key_authenticate(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if key is not None:
        _rate_limit(key)
    elif header:
        failures_key = f"api-auth-failures:{_client_address(request)}"
        window = settings.PORTAL_API_AUTH_FAILURE_WINDOW
        if cache.get(failures_key, 0) >= settings.PORTAL_API_AUTH_FAILURES:
            raise ApiError(429, _("認証の失敗が続いたため、しばらく受け付けません。"), slug="auth-throttled",
                           headers={"Retry-After": str(window)})
        if cache.add(failures_key, 1, timeout=window) is False:
            try:
                cache.incr(failures_key)
            except ValueError:
                cache.set(failures_key, 1, timeout=window)
    request._api_key = key
    return key


def _rate_limit(key: ApiKey) -> None:
    """At most PORTAL_API_RATE_PER_MINUTE requests per key in a clock minute."""
    limit = settings.PORTAL_API_RATE_PER_MINUTE
    if not limit:
        return
    now = timezone.now()
    counter = f"api-rate:{key.pk}:{now:%Y%m%d%H%M}"
    if cache.add(counter, 1, timeout=70):
        return
    try:
        used = cache.incr(counter)
    except ValueError:
        cache.set(counter, 1, timeout=70)
        return
    if used > limit:
        raise ApiError(429, _("この API キーのリクエスト数が上限（1分あたり %(limit)s 件）を超えました。")
                       % {"limit": limit}, slug="rate-limited", headers={"Retry-After": str(60 - now.second)})


# --- Request bodies ---------------------------------------------------------------------------------

class StrictJsonParser(Parser):
    """JSON bodies only (415 otherwise), within the size limit (413), with no control characters
    (a NUL can be neither stored nor typed: 400), never a float NaN."""

    def parse_body(self, request: HttpRequest):
        if request.content_type != "application/json":
            raise ApiError(415)
        try:
            raw = request.body
        except RequestDataTooBig as exc:
            raise ApiError(413) from exc
        try:
            data = json.loads(raw, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, _("本文が JSON として読めません。"), slug="malformed-json") from exc
        if _has_control(data):
            raise ApiError(400, _("制御文字（NUL など）は使えません。"), slug="control-characters")
        return data


def _no_constant(name: str):
    raise ValueError(name)


def _has_control(value) -> bool:
    if isinstance(value, str):
        return bool(CONTROL.search(value))
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_control(v) for v in value)
    return False


class _LocalTimeEncoder(NinjaJSONEncoder):
    """Times with the portal's offset (+09:00), as the screens show them."""

    def default(self, o):
        if isinstance(o, dt.datetime) and timezone.is_aware(o):
            return timezone.localtime(o).isoformat()
        return super().default(o)


class PortalRenderer(JSONRenderer):
    encoder_class = _LocalTimeEncoder
    json_dumps_params = {"ensure_ascii": False}


class StrictSchema(Schema):
    """Request bodies: an unknown field is an error (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid")


# --- The API object -----------------------------------------------------------------------------------

ERROR_STATUSES = (400, 401, 404, 409, 413, 415, 422, 429)


def responses(ok: dict[int, Any], *errors: int) -> dict[int, Any]:
    """An operation's documented responses: its own, and problem details for the errors every
    operation can answer (400, 401, 422, 429) and those it names."""
    return {**ok, **{status: Problem for status in sorted({400, 401, 422, 429, *errors})}}


class PortalApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Errors are documented as application/problem+json, as they are served; POSTs that
        create or change something document their Idempotency-Key header."""
        schema = super().get_openapi_schema(*args, **kwargs)
        by_id = {op.get("operationId"): op for ops in schema.get("paths", {}).values() for op in ops.values()}
        for patch in OPENAPI_PATCHES:
            patch(by_id)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_TYPE] = content.pop("application/json")
                if method == "post" and path not in IDEMPOTENCY_EXEMPT_OPERATIONS:
                    for status, what in (("409", "The same Idempotency-Key is still being processed"),
                                         ("422", "Invalid, or the Idempotency-Key was used with another body")):
                        if not any(str(code) == status for code in operation["responses"]):
                            operation["responses"][int(status)] = {"description": what, "content": {
                                PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
                    operation.setdefault("parameters", []).append({
                        "in": "header", "name": "Idempotency-Key", "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": "A unique key per create or change (UUID v4 recommended); "
                                       "the same key with the same body replays the first response.",
                    })
        return schema


api = PortalApi(
    title="IP Voice portal simulator API",
    version="1",
    description=(
        "The sandbox API of the IP Voice business portal simulator: everything the order screens do, "
        "for programs. Authenticate with `Authorization: Bearer <key>` (create keys on the portal's "
        "API キー page). Errors are RFC 9457 problem details; every POST that creates or changes "
        "something needs an `Idempotency-Key`."),
    urls_namespace="api",
    auth=KeyAuth(),
    parser=StrictJsonParser(),
    renderer=PortalRenderer(),
    docs=Swagger(settings={"persistAuthorization": True, "tryItOutEnabled": False}),
)

# What django-ninja cannot say from the code (a second media type, links between operations): each
# a function of the operations by operationId, applied to the generated schema.
OPENAPI_PATCHES: list[Callable[[dict], None]] = []


def openapi_patch(patch: Callable[[dict], None]) -> Callable[[dict], None]:
    OPENAPI_PATCHES.append(patch)
    return patch


# POST paths (as documented, e.g. "/api/v1/eligibility") that only read: no Idempotency-Key.
IDEMPOTENCY_EXEMPT_OPERATIONS: set[str] = set()


def idempotency_exempt(path: str) -> str:
    """Declare a POST path that changes nothing (it needs no Idempotency-Key)."""
    IDEMPOTENCY_EXEMPT_OPERATIONS.add("/api/v1" + path)
    return path


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return exc.response()


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    return problem_response(422, errors=validation_items(exc.errors), slug="validation")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return problem_response(401, headers={"WWW-Authenticate": 'Bearer realm="api"'})


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, ApiError):  # raised by the parser, wrapped by django-ninja
        return exc.__cause__.response()
    detail = _("本文が JSON として読めません。") if exc.status_code == 400 else ""
    return problem_response(exc.status_code, detail=detail)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(404)


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return problem_response(403)


# --- Idempotency and problem details for everything under /api/ ----------------------------------------

class _Rollback(Exception):
    pass


IN_PROGRESS_ABANDONED = dt.timedelta(minutes=5)  # longer than any request may run


class ApiMiddleware:
    """Under /api/: POSTs that create or change something go through the Idempotency-Key layer;
    any error answer that is not problem details already (a 404 of the URL resolver, a 405, the
    400 of a NUL in the query, a 503 of a busy database, a 500) becomes one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        try:
            if request.method in ("POST", "PUT", "PATCH") and request.META.get("CONTENT_LENGTH", "0") not in ("", "0") \
                    and request.content_type not in ("application/json", "multipart/form-data"):
                raise ApiError(415)
            if request.method == "POST" and request.path_info not in IDEMPOTENCY_EXEMPT_OPERATIONS:
                response = self._idempotent(request)
            else:
                response = self.get_response(request)
        except ApiError as exc:
            response = exc.response()
        return _as_problem(response)

    def _idempotent(self, request: HttpRequest) -> HttpResponse:
        key = api_key_of(request)
        if key is None:  # the API answers 401
            return self.get_response(request)
        idempotency_key = request.headers.get("Idempotency-Key", "").strip()
        if not idempotency_key:
            raise ApiError(400, _("作成・変更の POST には Idempotency-Key ヘッダーが必要です。"),
                           slug="idempotency-key-missing",
                           errors=[{"field": "Idempotency-Key", "code": "required",
                                    "message": _("入力してください。")}])
        if len(idempotency_key) > 255 or CONTROL.search(idempotency_key):
            raise ApiError(400, _("Idempotency-Key は 255 文字以内で指定してください。"),
                           slug="idempotency-key-invalid")
        record, earlier = _record_begin(key.organisation_id, idempotency_key, request)
        if earlier is not None:
            return earlier
        try:
            with transaction.atomic():
                response = self.get_response(request)
                if response.status_code >= 500 or getattr(response, "streaming", False):
                    raise _Rollback
                _record_finish(record, response)
        except _Rollback:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            return response
        except BaseException:
            IdempotencyRecord.objects.filter(pk=record.pk).delete()
            raise
        return response


def request_fingerprint(request: HttpRequest) -> str:
    """Method, path, query and the body's meaning: JSON by its content (key order and spacing do
    not count), a multipart form by its fields and files' bytes (not by its random boundary)."""
    digest = hashlib.sha256(f"{request.method} {request.path_info}?{request.META.get('QUERY_STRING', '')}\n".encode())
    if request.content_type == "multipart/form-data":
        try:
            for name, values in sorted(request.POST.lists()):
                digest.update(json.dumps([name, values], ensure_ascii=False).encode())
            for name, files in sorted(request.FILES.lists()):
                for upload in files:
                    digest.update(f"{name}:{upload.name}:{upload.size}:".encode())
                    for chunk in upload.chunks():
                        digest.update(chunk)
                    upload.seek(0)
        except RequestDataTooBig as exc:
            raise ApiError(413) from exc
        return digest.hexdigest()
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise ApiError(413) from exc
    if request.content_type == "application/json":
        with contextlib.suppress(ValueError, UnicodeDecodeError):  # bad JSON: the API answers 400
            body = json.dumps(json.loads(body), sort_keys=True, ensure_ascii=False).encode()
    digest.update(body)
    return digest.hexdigest()


def _record_begin(organisation_id: int, idempotency_key: str, request: HttpRequest):
    """(the new in-progress record, None) or (None, the answer for a key already used)."""
    fingerprint = request_fingerprint(request)
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    organisation_id=organisation_id, key=idempotency_key, fingerprint=fingerprint,
                    method=request.method, path=request.path_info[:300], created_at=now,
                    expires_at=now + dt.timedelta(seconds=settings.PORTAL_IDEMPOTENCY_SECONDS))
            return record, None
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(organisation_id=organisation_id, key=idempotency_key).first()
        if record is None:
            continue  # swept meanwhile: try again
        abandoned = (record.state == IdempotencyRecord.State.IN_PROGRESS
                     and record.created_at < now - IN_PROGRESS_ABANDONED)
        if record.expires_at <= now or abandoned:
            IdempotencyRecord.objects.filter(pk=record.pk, created_at=record.created_at).delete()
            continue
        if record.state == IdempotencyRecord.State.IN_PROGRESS:
            raise ApiError(409, _("同じ Idempotency-Key のリクエストを処理中です。"
                                  "完了してからもう一度お試しください。"),
                           slug="idempotency-key-in-use", headers={"Retry-After": "1"})
        if record.fingerprint != fingerprint:
            raise ApiError(422, _("この Idempotency-Key は別の内容のリクエストで使われています。"
                                  "新しいキーで送ってください。"),
                           slug="idempotency-key-reused",
                           errors=[{"field": "Idempotency-Key", "code": "idempotency_key_reused",
                                    "message": _("別の内容のリクエストで使われたキーです。")}])
        return None, _replay(record)
    raise ApiError(409, slug="idempotency-key-in-use", headers={"Retry-After": "1"})


REPLAYED_HEADERS = ("Content-Type", "Location", "Content-Language", "Retry-After")


def _record_finish(record: IdempotencyRecord, response: HttpResponse) -> None:
    record.state = IdempotencyRecord.State.DONE
    record.status_code = response.status_code
    record.response_body = response.content
    record.response_headers = {h: response[h] for h in REPLAYED_HEADERS if response.has_header(h)}
    record.save(update_fields=["state", "status_code", "response_body", "response_headers"])


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(bytes(record.response_body), status=record.status_code)
    for name, value in record.response_headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def idempotency_sweep() -> int:
    """Forget keys past their 24 hours (beat)."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def _as_problem(response: HttpResponse) -> HttpResponse:
    if response.status_code < 400 or response.get("Content-Type", "").startswith(PROBLEM_TYPE):
        return response
    keep = {h: response[h] for h in ("Retry-After", "Allow", "WWW-Authenticate") if response.has_header(h)}
    return problem_response(response.status_code, headers=keep)


# --- Paging by cursor ---------------------------------------------------------------------------------

MAX_LIMIT = 200


def cursor_encode(values: list) -> str:
    import base64

    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def cursor_decode(cursor: str, size: int) -> list:
    """A cursor's key values; a cursor this API did not make answers 400 on the `cursor` field."""
    import base64

    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(values, list) and len(values) == size and all(isinstance(v, str | int) for v in values):
            return values
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError(400, _("cursor が正しくありません。前の応答の next_cursor をそのまま指定してください。"),
                   slug="invalid-cursor",
                   errors=[{"field": "cursor", "code": "invalid", "message": _("cursor が正しくありません。")}])


def page_by(queryset, field: str, *, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """One page of a list ordered by a unique field, found by seek (never OFFSET): every page costs
    the same. Returns the rows and the cursor of the next page (None on the last)."""
    if cursor:
        (after,) = cursor_decode(cursor, 1)
        queryset = queryset.filter(**{f"{field}__gt": after})
    rows = list(queryset.order_by(field)[:limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (cursor_encode([getattr(rows[-1], field)]) if more else None)
