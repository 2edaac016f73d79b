"""DingTalk custom robot: signed webhook (加签) as documented by DingTalk.

sign = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))), timestamp in ms;
both are appended to the webhook URL as query parameters. The robot answers ``{"errcode": 0}``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus

import httpx


def sign(timestamp_ms: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(webhook_url: str, secret: str | None, timestamp_ms: int | None = None) -> str:
    if not secret:
        return webhook_url
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    sep = "&" if "?" in webhook_url else "?"
    return f"{webhook_url}{sep}timestamp={timestamp_ms}&sign={sign(timestamp_ms, secret)}"


def send_markdown(webhook_url: str, secret: str | None, title: str, text: str, timeout: float = 10) -> None:
    """Post a markdown message; raise on HTTP error or a non-zero DingTalk errcode."""
    response = httpx.post(
        signed_url(webhook_url, secret),
        json={"msgtype": "markdown", "markdown": {"title": title, "text": text}},
        timeout=timeout,
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errcode", 0) != 0:
        raise RuntimeError(f"DingTalk rejected the message: {body}")
