"""HMAC-SHA256 request signatures (docs/exchange.md §2).

String to sign: ``METHOD \\n PATH \\n X-Timestamp \\n X-Nonce \\n hex(sha256(body))``; the signature is the
lowercase hex HMAC-SHA256 of it with the shared secret, sent as ``X-Signature`` with ``X-App-Id``.
The receiver refuses timestamps more than ``MAX_SKEW_SECONDS`` away from its clock.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

MAX_SKEW_SECONDS = 300


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}".encode()


def sign_headers(app_id: str, secret: str, method: str, path: str, body: bytes,
                 now: float | None = None) -> dict[str, str]:
    timestamp = str(int(now if now is not None else time.time()))
    nonce = uuid.uuid4().hex
    signature = hmac.new(secret.encode(), string_to_sign(method, path, timestamp, nonce, body),
                         hashlib.sha256).hexdigest()
    return {"X-App-Id": app_id, "X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature}


def verify(secrets: dict[str, str], headers, method: str, path: str, body: bytes,
           now: float | None = None) -> str | None:
    """Return None when the request is properly signed, else the reason (English, for the log)."""
    app_id = headers.get("x-app-id")
    if not app_id or app_id not in secrets:
        return "unknown app id"
    timestamp, nonce, signature = headers.get("x-timestamp"), headers.get("x-nonce"), headers.get("x-signature")
    if not (timestamp and nonce and signature) or not timestamp.isdigit():
        return "missing signature headers"
    if abs((now if now is not None else time.time()) - int(timestamp)) > MAX_SKEW_SECONDS:
        return "timestamp outside the allowed window"
    expected = hmac.new(secrets[app_id].encode(), string_to_sign(method, path, timestamp, nonce, body),
                        hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, signature) else "bad signature"
