"""A program calling the API with a key, through Django's test client."""

import json
import uuid


class Api:
    """A program calling the API with a key (Django's test client under the hood)."""

    def __init__(self, client, key: str) -> None:
        self.client, self.key = client, key

    def _headers(self, headers):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.key}", **{
            "HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()}}

    def get(self, path, params=None, headers=None):
        return self.client.get("/api/v1" + path, params or {}, **self._headers(headers))

    def post(self, path, body=None, *, key="", headers=None, **kwargs):
        headers = dict(headers or {})
        if key is not None:
            headers.setdefault("Idempotency-Key", key or str(uuid.uuid4()))
        if "data" in kwargs:  # multipart
            return self.client.post("/api/v1" + path, kwargs["data"], **self._headers(headers))
        return self.client.post("/api/v1" + path, json.dumps(body, ensure_ascii=False),
                                content_type="application/json", **self._headers(headers))

    def patch(self, path, body):
        return self.client.patch("/api/v1" + path, json.dumps(body, ensure_ascii=False),
                                 content_type="application/json", **self._headers({}))

    def delete(self, path):
        return self.client.delete("/api/v1" + path, **self._headers({}))
