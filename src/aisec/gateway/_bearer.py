"""The bearer token of an ``Authorization`` header, and the one 401 message."""

from __future__ import annotations

import re

from aisec.gateway._contract import GatewayRefusal

__all__ = ["UNAUTHORIZED", "bearer_token"]

# Every 401 says only this; the reason code tells a client which check failed.
UNAUTHORIZED = "invalid or missing credentials"
_MAX_HEADER = 8192
_BEARER = re.compile(r"[Bb]earer +([\x21-\x7e]+) *")


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer …`` header; 401 when missing or malformed."""
    if authorization is None or not authorization.strip():
        raise GatewayRefusal(401, "credentials_missing", UNAUTHORIZED)
    if len(authorization) > _MAX_HEADER:
        raise GatewayRefusal(401, "credentials_malformed", UNAUTHORIZED)
    m = _BEARER.fullmatch(authorization)
    if m is None:
        raise GatewayRefusal(401, "credentials_malformed", UNAUTHORIZED)
    return m.group(1)
