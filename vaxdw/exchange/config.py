"""Endpoints and limits of the exchange, from Settings (``VAXDW_EXCHANGE_*`` environment variables).

Each remote system is an :class:`Endpoint`: base URL, application id and HMAC secret, TLS verification
(``true``/``false`` or the path of a CA bundle), request timeout. The same client code talks to the real
systems and to the simulators; only these values differ.

| Variable | Meaning | Default |
|---|---|---|
| VAXDW_EXCHANGE_NIIS_URL / _APP_ID / _SECRET / _VERIFY | national system | unset (uploads skipped) |
| VAXDW_EXCHANGE_COLLAB_URL / _APP_ID / _SECRET / _VERIFY | collaborative platform (circulation upload) | unset |
| VAXDW_EXCHANGE_RECEIVER_SECRETS | JSON {sender app id: secret} accepted by the push receiver | {} |
| VAXDW_EXCHANGE_COLDCHAIN_VENDORS | JSON list of {vendor, format, url, token, verify} | [] |
| VAXDW_EXCHANGE_CATEGORIES | comma-separated upload categories to run | all |
| VAXDW_EXCHANGE_TIMEOUT_SECONDS | per request | 30 |
| VAXDW_EXCHANGE_BATCH_SIZE | records per upload batch (remote limit 2000) | 1000 |
| VAXDW_EXCHANGE_BATCH_BYTES | record JSON per batch (remote body limit 4 MB, less 64 KB for the envelope) | 3 MB |
| VAXDW_EXCHANGE_CONCURRENCY | batches in flight at once per category | 4 |
| VAXDW_EXCHANGE_MAX_ATTEMPTS | tries per batch before it is left in flight for the next run | 5 |
| VAXDW_EXCHANGE_BACKOFF_SECONDS | first retry delay; doubles each try, capped at 60 s | 2 |
| VAXDW_EXCHANGE_PAYLOAD_RETENTION_DAYS | days an accepted item's payload is kept after acceptance | 30 |
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from vaxdw.settings import Settings, get_settings

REMOTE_BATCH_LIMIT = 2000
REMOTE_BODY_LIMIT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    app_id: str
    secret: str
    verify: bool | str = True
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class Limits:
    batch_size: int = 1000  # records per batch (at most REMOTE_BATCH_LIMIT)
    max_attempts: int = 5
    backoff_seconds: float = 2.0
    backoff_cap_seconds: float = 60.0
    batch_bytes: int = REMOTE_BODY_LIMIT_BYTES * 3 // 4  # record JSON per batch; 0 = records only
    concurrency: int = 4  # batches in flight at once


@dataclass(frozen=True)
class VendorFeed:
    vendor: str
    format: str  # 'json' or 'csv'
    url: str
    token: str = ""
    verify: bool | str = True
    timeout_seconds: float = 30.0


@dataclass(frozen=True)
class ExchangeConfig:
    niis: Endpoint | None = None
    collab: Endpoint | None = None
    receiver_secrets: dict[str, str] = field(default_factory=dict)
    vendors: tuple[VendorFeed, ...] = ()
    limits: Limits = Limits()
    categories: tuple[str, ...] | None = None  # None = every category
    payload_retention_days: int = 30  # after acceptance (vaxdw/exchange/retention.py)


def _verify(value: str | None) -> bool | str:
    if value is None or value.lower() in ("", "true", "1", "yes"):
        return True
    if value.lower() in ("false", "0", "no"):
        return False
    return value  # a CA bundle path


def _endpoint(extra: dict[str, str], prefix: str, timeout: float) -> Endpoint | None:
    url = extra.get(f"VAXDW_EXCHANGE_{prefix}_URL")
    if not url:
        return None
    return Endpoint(
        base_url=url.rstrip("/"),
        app_id=extra.get(f"VAXDW_EXCHANGE_{prefix}_APP_ID", "610000"),
        secret=extra.get(f"VAXDW_EXCHANGE_{prefix}_SECRET", ""),
        verify=_verify(extra.get(f"VAXDW_EXCHANGE_{prefix}_VERIFY")),
        timeout_seconds=timeout,
    )


def exchange_config(settings: Settings | None = None) -> ExchangeConfig:
    extra = (settings or get_settings()).extra
    timeout = float(extra.get("VAXDW_EXCHANGE_TIMEOUT_SECONDS", "30"))
    vendors = tuple(
        VendorFeed(
            vendor=v["vendor"], format=v["format"], url=v["url"].rstrip("/"), token=v.get("token", ""),
            verify=_verify(str(v.get("verify", "true"))), timeout_seconds=timeout,
        )
        for v in json.loads(extra.get("VAXDW_EXCHANGE_COLDCHAIN_VENDORS", "[]"))
    )
    return ExchangeConfig(
        niis=_endpoint(extra, "NIIS", timeout),
        collab=_endpoint(extra, "COLLAB", timeout),
        receiver_secrets=json.loads(extra.get("VAXDW_EXCHANGE_RECEIVER_SECRETS", "{}")),
        vendors=vendors,
        categories=tuple(c.strip() for c in extra["VAXDW_EXCHANGE_CATEGORIES"].split(",") if c.strip())
        if extra.get("VAXDW_EXCHANGE_CATEGORIES") else None,
        limits=Limits(
            batch_size=min(int(extra.get("VAXDW_EXCHANGE_BATCH_SIZE", "1000")), REMOTE_BATCH_LIMIT),
            batch_bytes=min(int(extra.get("VAXDW_EXCHANGE_BATCH_BYTES", str(REMOTE_BODY_LIMIT_BYTES * 3 // 4))),
                            REMOTE_BODY_LIMIT_BYTES - 64 * 1024),
            concurrency=max(1, int(extra.get("VAXDW_EXCHANGE_CONCURRENCY", "4"))),
            max_attempts=int(extra.get("VAXDW_EXCHANGE_MAX_ATTEMPTS", "5")),
            backoff_seconds=float(extra.get("VAXDW_EXCHANGE_BACKOFF_SECONDS", "2")),
        ),
        payload_retention_days=int(extra.get("VAXDW_EXCHANGE_PAYLOAD_RETENTION_DAYS", "30")),
    )
