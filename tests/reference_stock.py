"""Independent stock computations over the raw tables (pandas), for the traceability tests: movements, book
balances, physical-count discrepancies and the 库存指标 (docs/reports/stock_indicators.md), computed day by
day rather than by the marts' intervals."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from tests.reference import latest_versions, raw_table


def raw_movements(warehouse) -> pd.DataFrame:
    """Every line of a non-voided document with its unit, date, type, reason, batch, vaccine and 人份."""
    lines = latest_versions(raw_table(warehouse, "stock_line"), "line_id")
    docs = latest_versions(raw_table(warehouse, "stock_doc"), "doc_id")
    docs = docs[~docs["is_deleted"].astype(bool)]
    batches = latest_versions(raw_table(warehouse, "vaccine_batch"), "batch_id")
    specs = latest_versions(raw_table(warehouse, "product_spec"), "spec_id")
    moves = lines.merge(docs[["doc_id", "doc_type", "unit_id", "doc_date", "reason"]], on="doc_id")
    moves = moves.merge(batches[["batch_id", "spec_id", "expiry_date"]], on="batch_id", how="left")
    moves = moves.merge(specs[["spec_id", "vaccine_code", "doses_per_unit"]], on="spec_id", how="left")
    moves["sign"] = np.where(moves["doc_type"].str.startswith("IN_"), 1, -1)
    moves["signed"] = moves["sign"] * moves["quantity"]
    moves["signed_doses"] = moves["sign"] * moves["dose_quantity"]
    moves["doc_date"] = pd.to_datetime(moves["doc_date"]).dt.date
    moves["expiry_date"] = pd.to_datetime(moves["expiry_date"]).dt.date
    return moves


def count_discrepancies(warehouse, moves: pd.DataFrame) -> pd.DataFrame:
    """Per unit × batch × count date of the unit: counted (0 when no row) and book balance in 支/瓶 and 人份."""
    counts = latest_versions(raw_table(warehouse, "stock_count"), "count_id")
    counts["count_date"] = pd.to_datetime(counts["count_date"]).dt.date
    days = counts[["unit_id", "count_date"]].drop_duplicates()
    daily = moves.groupby(["unit_id", "batch_id", "doc_date"], as_index=False)["signed"].sum()
    book = days.merge(daily, on="unit_id")
    book = book[book["doc_date"] <= book["count_date"]].groupby(["unit_id", "count_date", "batch_id"])["signed"].sum()
    counted = counts.set_index(["unit_id", "count_date", "batch_id"])["counted_quantity"]
    result = pd.concat([counted.rename("counted"), book.rename("book")], axis=1)
    result = result[result["counted"].notna() | (result["book"].fillna(0) != 0)].fillna(0).astype(int).reset_index()
    per_unit = moves.drop_duplicates("batch_id").set_index("batch_id")[["vaccine_code", "doses_per_unit"]]
    result = result.join(per_unit, on="batch_id")
    result["count_id"] = result.merge(counts[["unit_id", "batch_id", "count_date", "count_id"]], how="left",
                                      on=["unit_id", "batch_id", "count_date"])["count_id"].to_numpy()
    return result


def _month_end(month: date, today: date) -> date:
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return min(following - timedelta(days=1), today)


def stock_indicators(moves: pd.DataFrame, counts: pd.DataFrame, today: date, window: int = 3,
                     history: int = 24, expiring_days: int = 60) -> pd.DataFrame:
    """库存指标 per unit × vaccine × month (the documented definition, day-by-day balances)."""
    moves = moves[moves["doc_date"] <= today]
    first_kept = (pd.Timestamp(today.replace(day=1)) - pd.DateOffset(months=history - 1)).date()
    months = [d.date() for d in pd.date_range(first_kept, today, freq="MS")]
    # daily balances per pair over the kept months
    net = moves.groupby(["unit_id", "vaccine_code", "doc_date"])["signed_doses"].sum()
    first_date = moves.groupby(["unit_id", "vaccine_code"])["doc_date"].min()
    opening = net[net.index.get_level_values("doc_date") < first_kept].groupby(level=[0, 1]).sum()
    days = pd.date_range(first_kept, today).date
    recent = net[net.index.get_level_values("doc_date") >= first_kept].unstack("doc_date", fill_value=0)
    recent = recent.reindex(index=first_date.index, columns=days, fill_value=0)
    balance = recent.cumsum(axis=1).add(opening.reindex(first_date.index, fill_value=0), axis=0)
    started = pd.DataFrame(np.array(days)[None, :] >= first_date.to_numpy()[:, None], index=balance.index,
                           columns=days)
    out_of_stock = (balance <= 0) & started
    kinds = moves.assign(
        used=np.where(moves["doc_type"] == "OUT_USE", moves["dose_quantity"], 0),
        issued=np.where(moves["doc_type"].isin(["OUT_USE", "OUT_TRANSFER"]), moves["dose_quantity"], 0),
        scrapped=np.where(moves["doc_type"] == "OUT_SCRAP", moves["dose_quantity"], 0),
        month=[d.replace(day=1) for d in moves["doc_date"]],
    )
    flows = kinds.groupby(["unit_id", "vaccine_code", "month"])[["used", "issued", "scrapped"]].sum()
    flows["moved"] = 1
    batch_net = moves.groupby(["unit_id", "vaccine_code", "batch_id", "expiry_date", "doc_date"])["signed_doses"].sum()
    unit_counts = counts.assign(month=[d.replace(day=1) for d in counts["count_date"]])
    last_count = unit_counts.groupby(["unit_id", "month"])["count_date"].max()
    rows = []
    for month in months:
        end = _month_end(month, today)
        in_month = [d for d in days if month <= d <= end]
        window_months = [(pd.Timestamp(month) - pd.DateOffset(months=k)).date() for k in range(window)]
        win = flows[flows.index.get_level_values("month").isin(window_months)].groupby(level=[0, 1]).sum()
        here = flows[flows.index.get_level_values("month") == month].droplevel("month")
        held = batch_net[batch_net.index.get_level_values("doc_date") <= end].groupby(level=[0, 1, 2, 3]).sum()
        held = held[held > 0].reset_index()
        soon = held[(held["expiry_date"] >= end) & (held["expiry_date"] <= end + timedelta(days=expiring_days))]
        expired = held[held["expiry_date"] < end]
        frame = pd.DataFrame({
            "closing_doses": balance[end],
            "stockout_days_any": out_of_stock[in_month].sum(axis=1),
        })
        frame = frame[[d <= end for d in first_date]]  # rows from the month of the pair's first movement
        frame = frame.join(win.add_suffix("_window")).join(here).fillna(0)
        frame = frame[(frame["closing_doses"] != 0) | (frame["moved_window"] > 0)]
        frame["expiring_soon_doses"] = soon.groupby(["unit_id", "vaccine_code"])["signed_doses"].sum()
        frame["expired_doses"] = expired.groupby(["unit_id", "vaccine_code"])["signed_doses"].sum()
        frame = frame.fillna({"expiring_soon_doses": 0, "expired_doses": 0}).reset_index()
        frame["month_start"] = month
        frame["count_date"] = None
        frame["count_discrepancy_doses"] = np.nan
        if month in set(last_count.index.get_level_values("month")):
            counted_units = last_count.xs(month, level="month")
            frame["count_date"] = frame["unit_id"].map(counted_units)
            at_count = counts.merge(counted_units.rename("count_date").reset_index(), on=["unit_id", "count_date"])
            at_count["diff"] = (at_count["counted"] - at_count["book"]) * at_count["doses_per_unit"]
            diffs = at_count.groupby(["unit_id", "vaccine_code"])["diff"].sum()
            frame["count_discrepancy_doses"] = [diffs.get((unit, vaccine), 0) for unit, vaccine
                                                in zip(frame["unit_id"], frame["vaccine_code"], strict=True)]
        rows.append(frame)
    result = pd.concat(rows, ignore_index=True)
    result["is_vaccinating_unit"] = result["used_window"] > 0
    result["stockout_days"] = result["stockout_days_any"].where(result["is_vaccinating_unit"])
    total = result["issued"] + result["scrapped"]
    result["closed_vial_wastage_rate"] = result["scrapped"] / total.where(total > 0)  # unrounded
    result["stock_coverage_months"] = (result["closing_doses"].clip(lower=0)
                                       / (result["issued_window"] / window).where(result["issued_window"] > 0))
    has_count = result["count_date"].notna()
    result["count_discrepancy_doses"] = result["count_discrepancy_doses"].fillna(0).where(has_count)
    return result
