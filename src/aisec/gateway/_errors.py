"""OpenAI's error shape, ``{"error": {"message", "type", "param", "code"}}``, for every refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.responses import Response

__all__ = ["ERROR_SCHEMA", "GatewayError", "compact_json", "error_body", "error_response"]

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    429: "rate_limit_error",
    502: "upstream_error",
    503: "service_unavailable",
    504: "upstream_timeout",
}

ERROR_SCHEMA: dict[str, object] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}


class GatewayError(Exception):
    """A request the gateway answers with an error status and a reason code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.retry_after = retry_after


def _compact_encoder() -> Callable[[Any], str]:
    """``json.JSONEncoder(separators=(",", ":")).encode``, with its C encoder built once:
    ``encode`` builds a new one on every call (and ``json.dumps`` a new encoder too), 40% of
    the time of a small document such as a stream's event. The same text; documents here
    come from JSON or from the gateway's own dicts, so no circular-reference check."""
    plain = json.JSONEncoder(separators=(",", ":"), check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the plain encoder
        return plain.encode
    ascii_text = json.encoder.encode_basestring_ascii
    run = make(None, plain.default, ascii_text, None, ":", ",", False, False, True)

    def encode(doc: Any) -> str:
        return "".join(run(doc, 0))

    return encode


# One encoder for every compact document the gateway writes.
compact_json = _compact_encoder()


def error_body(status: int, code: str, message: str, param: str | None = None) -> bytes:
    kind = _TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
    doc = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return compact_json(doc).encode()


def error_response(exc: GatewayError, headers: dict[str, str] | None = None) -> Response:
    out = dict(headers or {})
    if exc.retry_after is not None:
        out["Retry-After"] = str(max(1, int(exc.retry_after + 0.999)))
    return Response(
        error_body(exc.status, exc.code, exc.message, exc.param),
        status_code=exc.status,
        media_type="application/json",
        headers=out,
    )
