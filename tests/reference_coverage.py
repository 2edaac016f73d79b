"""Independent pandas computations over the raw tables for the coverage-family reports (issue 3 part A).

Written from the definitions in DOMAIN.md (§1.2, §2.2, §8.1, §8.6, §8.7) and the seeds' parameters, not
from the dbt SQL: latest version per key, deleted rows and deleted recipients (status 5) excluded, the
region of a unit resolved through the township-change chain as of today.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from tests.conftest import FROZEN_TODAY
from tests.reference import latest_versions, raw_table, resolve_township_codes

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
IN_REGISTER = {1, 6, 7, 10}
TEMPORARY = {8, 9}
LEVELS = ("province", "city", "county", "township", "unit")


def register_group(status: int) -> str:
    if status in IN_REGISTER:
        return "in_register"
    if status in TEMPORARY:
        return "temporary"
    return "deleted" if status == 5 else "off_register"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31,
            30, 31][month - 1]
    return date(year, month, min(day.day, last))


class Raw:
    """The raw tables of one warehouse, latest versions, with unit places resolved."""

    def __init__(self, warehouse) -> None:
        self.warehouse = warehouse
        vacc = latest_versions(raw_table(warehouse, "vaccination"), "vaccination_id")
        self.recipients = latest_versions(raw_table(warehouse, "recipient"), "recipient_id")
        self.recipients = self.recipients[~self.recipients["is_deleted"] & (self.recipients["register_status"] != 5)]
        self.recipients["birth_date"] = pd.to_datetime(self.recipients["birth_at"]).dt.date
        self.recipients["register_group"] = self.recipients["register_status"].map(register_group)
        units = latest_versions(raw_table(warehouse, "unit"), "unit_id")
        regions = latest_versions(raw_table(warehouse, "region"), "region_code")
        self.changes = latest_versions(raw_table(warehouse, "township_change"), "change_id")
        self.parent = regions.set_index("region_code")["parent_code"].to_dict()
        current = resolve_township_codes(self.changes, FROZEN_TODAY)  # the build's evaluation date
        places = {}
        for unit in units.itertuples():
            township = current.get(unit.township_code, unit.township_code)
            county = self.parent.get(township) or unit.county_code
            city = self.parent.get(county)
            places[unit.unit_id] = {"unit": unit.unit_id, "township": township, "county": county, "city": city,
                                    "province": self.parent.get(city)}
        self.places = places
        vacc = vacc[~vacc["is_deleted"]].merge(
            self.recipients[["recipient_id", "birth_date", "birth_at", "register_group"]], on="recipient_id")
        vacc["vaccination_date"] = pd.to_datetime(vacc["vaccinated_at"]).dt.date
        for level in LEVELS:
            vacc[level] = vacc["unit_id"].map(lambda u, lv=level: places.get(u, {}).get(lv))
        vaccines = latest_versions(raw_table(warehouse, "vaccine"), "vaccine_code")
        category = vaccines.set_index("vaccine_code")["category_code"].to_dict()
        vacc["category_code"] = vacc["vaccine_code"].map(lambda c: category.get(c, c[:2]))
        self.doses = vacc
        for level in LEVELS:
            self.recipients[level] = self.recipients["managing_unit_id"].map(
                lambda u, lv=level: places.get(u, {}).get(lv))

    def register_group_as_of(self, as_of: date) -> pd.Series:
        """Register group per recipient as of ``as_of`` from raw.register_change (else current status)."""
        changes = latest_versions(raw_table(self.warehouse, "register_change"), "change_id")
        changes = changes[~changes["is_deleted"]]
        changes = changes[pd.to_datetime(changes["changed_at"]) < pd.Timestamp(as_of + timedelta(days=1))]
        last = changes.sort_values(["changed_at", "change_id"]).drop_duplicates("recipient_id", keep="last")
        status = self.recipients.set_index("recipient_id")["register_status"].copy()
        from_history = last.set_index("recipient_id")["new_status"]
        from_history = from_history[from_history.index.isin(status.index)]
        status.loc[from_history.index] = from_history
        return status.map(register_group)


def schedule() -> pd.DataFrame:
    with open(SEEDS / "ref_schedule_dose.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    frame = pd.DataFrame(rows)
    for col in ("dose_no", "min_age_months", "min_age_days"):
        frame[col] = frame[col].astype(int)
    for col in ("completion_age_months", "completion_age_hours", "min_interval_days"):
        frame[col] = frame[col].map(lambda v: int(v) if v else None)
    return frame


def classified_doses(raw: Raw, switch_2025: date = date(2025, 1, 1)) -> pd.DataFrame:
    """Every dose with its number in the category (by time), validity and timeliness (DOMAIN §1.2, §8)."""
    sched = schedule().set_index(["schedule_version", "category_code", "dose_no"])
    doses = raw.doses.sort_values(["recipient_id", "category_code", "vaccinated_at", "vaccination_id"]).copy()
    doses["number"] = doses.groupby(["recipient_id", "category_code"]).cumcount() + 1
    doses["previous_date"] = doses.groupby(["recipient_id", "category_code"])["vaccinated_at"].shift()
    valid, timely = [], []
    for row in doses.itertuples():
        version = "2025" if row.birth_date >= switch_2025 else "2021"
        key = (version, row.category_code, row.number)
        if key not in sched.index:
            valid.append(False)
            timely.append(False)
            continue
        rule = sched.loc[key]
        min_age = add_months(row.birth_date, int(rule["min_age_months"])) + timedelta(days=int(rule["min_age_days"]))
        ok = row.vaccination_date >= min_age
        if ok and rule["min_interval_days"] is not None and not pd.isna(row.previous_date):
            ok = (row.vaccination_date - pd.Timestamp(row.previous_date).date()).days >= rule["min_interval_days"]
        if rule["completion_age_hours"] is not None and not pd.isna(rule["completion_age_hours"]):
            early = pd.Timestamp(row.vaccinated_at) - pd.Timestamp(row.birth_at) <= timedelta(
                hours=int(rule["completion_age_hours"]))
        else:
            early = row.vaccination_date < add_months(row.birth_date, int(rule["completion_age_months"]))
        valid.append(bool(ok))
        timely.append(bool(ok and early))
    doses["is_valid"] = valid
    doses["is_timely"] = timely
    return doses


def child_scheduled_doses(raw: Raw, switch_2025: date = date(2025, 1, 1)) -> pd.DataFrame:
    """Each current child x scheduled dose with due date and the k-th dose given (date, valid, timely)."""
    sched = schedule()
    classified = classified_doses(raw, switch_2025).set_index(["recipient_id", "category_code", "number"])
    out = []
    for child in raw.recipients.itertuples():
        version = "2025" if child.birth_date >= switch_2025 else "2021"
        for rule in sched[sched["schedule_version"] == version].itertuples():
            due = add_months(child.birth_date, rule.min_age_months) + timedelta(days=rule.min_age_days)
            key = (child.recipient_id, rule.category_code, rule.dose_no)
            given = classified.loc[key] if key in classified.index else None
            out.append({
                "recipient_id": child.recipient_id, "category_code": rule.category_code, "dose_no": rule.dose_no,
                "due_date": due, "birth_date": child.birth_date,
                "vaccination_date": None if given is None else given["vaccination_date"],
                "is_valid": False if given is None else bool(given["is_valid"]),
                "is_timely": False if given is None else bool(given["is_timely"]),
            })
    return pd.DataFrame(out)


def md5_order(seed: int, recipient_id: int) -> str:
    return hashlib.md5(f"{seed}:{recipient_id}".encode()).hexdigest()
