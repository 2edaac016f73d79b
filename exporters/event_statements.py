"""Shared helpers of the event-report statements (迁出, 留观, 签核, 服务评价): region label columns and
the common signature line."""

from __future__ import annotations

from datetime import date

from exporters.statement import TEXT, Column
from vaxdw import clock

LEVEL_HEADERS = {"province": "省", "city": "市", "county": "县(区)", "township": "乡镇(街道)", "unit": "接种单位"}


def region_columns(level: str) -> list[Column]:
    name = LEVEL_HEADERS.get(level, "地区")
    return [Column("region_code", f"{name}编码", TEXT), Column("region_name", name)]


def signatures(reporting_unit: str = "", prepared_by: str = "", prepared_on: date | None = None) -> dict[str, str]:
    return {"填报单位": reporting_unit, "制表人": prepared_by, "制表日期": (prepared_on or clock.today()).isoformat()}


def records(frame, keys: list[str]) -> list[dict]:
    return [{key: record[key] for key in keys} for record in frame.to_dict("records")]
