"""Independent reference computations over the raw tables (pandas), for tests of report values."""

from __future__ import annotations

from datetime import date

import pandas as pd

from tests.conftest import FROZEN_TODAY
from vaxdw.db import PgParams, connect


def latest_versions(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    ordered = frame.sort_values(["updated_at", "_load_id"])
    return ordered.drop_duplicates(subset=[key], keep="last")


def raw_table(warehouse, name: str) -> pd.DataFrame:
    with connect(warehouse) as conn:
        cur = conn.execute(f"select * from raw.{name}")
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def resolve_township_codes(changes: pd.DataFrame, as_of: date) -> dict[str, str]:
    """old code -> code in force at ``as_of``, following merge/rename chains; a split goes to the
    successor of the lowest change_id (the documented rule)."""
    effective = changes[pd.to_datetime(changes["effective_date"]).dt.date <= as_of]
    first_successor = effective.sort_values("change_id").drop_duplicates("old_code").set_index("old_code")
    step = first_successor["new_code"].to_dict()
    resolved = {}
    for code in step:
        seen, current = {code}, step[code]
        while current in step and current not in seen:
            seen.add(current)
            current = step[current]
        resolved[code] = current
    return resolved


def countable_doses(warehouse: PgParams) -> pd.DataFrame:
    """Every countable dose with the region codes of its vaccinating unit, from raw only."""
    vacc = latest_versions(raw_table(warehouse, "vaccination"), "vaccination_id")
    recipients = latest_versions(raw_table(warehouse, "recipient"), "recipient_id")
    units = latest_versions(raw_table(warehouse, "unit"), "unit_id")
    regions = latest_versions(raw_table(warehouse, "region"), "region_code")
    vacc = vacc[~vacc["is_deleted"]]
    recipients = recipients[~recipients["is_deleted"] & (recipients["register_status"] != 5)]
    frame = vacc.merge(recipients[["recipient_id"]], on="recipient_id", how="inner")
    frame = frame.merge(units[["unit_id", "township_code", "county_code"]], on="unit_id", how="left")
    assert frame["dose_no"].notna().all(), "reference assumes recorded dose numbers"
    parent = regions.set_index("region_code")["parent_code"]
    changes = latest_versions(raw_table(warehouse, "township_change"), "change_id")
    current = resolve_township_codes(changes, FROZEN_TODAY)  # the build's evaluation date
    frame["unit"] = frame["unit_id"]
    frame["township"] = frame["township_code"].map(lambda code: current.get(code, code))
    frame["county"] = frame["township"].map(parent).fillna(frame["county_code"])
    frame["city"] = frame["county"].map(parent)
    frame["province"] = frame["city"].map(parent)
    frame["vaccination_date"] = pd.to_datetime(frame["vaccinated_at"]).dt.date
    return frame


def expected_shizhong(doses: pd.DataFrame, level: str, region_code, date_from, date_to, vaccine_codes=None):
    frame = doses[(doses["vaccination_date"] >= date_from) & (doses["vaccination_date"] <= date_to)]
    if region_code:
        in_region = (frame[["province", "city", "county", "township", "unit"]] == region_code).any(axis=1)
        frame = frame[in_region]
    if vaccine_codes:
        frame = frame[frame["vaccine_code"].isin(vaccine_codes)]
    grouped = (
        frame.groupby([level, "vaccine_code", "dose_no", "manufacturer_code"], dropna=False)
        .agg(doses=("vaccination_id", "size"), persons=("recipient_id", "nunique"))
        .reset_index()
        .rename(columns={level: "region_code"})
    )
    return grouped, len(frame), frame["recipient_id"].nunique()
