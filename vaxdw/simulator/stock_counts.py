"""Generator extension: stocktake physical counts (盘点实盘数, contract table ``stock_count``).

Runs after the traceability extension and reads its movements (scratch table ``stock_flow``, per unit). CDCs count at every month
end, vaccinating units (clinics, obstetric units) at every quarter end, in the last COUNT_MONTHS months up to
``as_of``; every batch with a positive book balance at the end of the count day gets a row, counted = book
balance. Batches at 0 or below
(the injected ``stock_negative_balance``) are not on the shelf: no row (the warehouse reads them as 0).

Injected fault ``stock_count_discrepancy``: a counted quantity that differs from the book balance (a few
vials missing, or found); row_key is the count_id, detail gives unit, batch, date, book and counted.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from itertools import accumulate, groupby
from operator import itemgetter

from vaxdw.schedule import add_months
from vaxdw.simulator import names
from vaxdw.simulator.context import GenContext
from vaxdw.simulator.faults import FaultLog

MONTHLY_COUNT_TYPES = ("prov_cdc", "city_cdc", "county_cdc")  # others count at quarter ends
COUNT_MONTHS = 6  # counts of the last 6 months before as_of only (the history would be ~365k rows at tiny)


def count_dates(first_day: date, as_of: date, monthly: bool) -> list[date]:
    """Month (or quarter) ends from the month of ``first_day`` up to ``as_of``, the last COUNT_MONTHS only."""
    dates = []
    month = max(first_day.replace(day=1), add_months(as_of.replace(day=1), 1 - COUNT_MONTHS))
    while True:
        end = add_months(month, 1) - timedelta(days=1)
        if end > as_of:
            return dates
        if monthly or end.month % 3 == 0:
            dates.append(end)
        month = add_months(month, 1)


def _ledger(net_by_day: Counter) -> tuple[list[date], list[int]]:
    """Movement days in order and the balance at the end of each."""
    days = sorted(net_by_day)
    return days, list(accumulate(net_by_day[day] for day in days))


def counts_on(unit_type: str, day: date) -> bool:
    """Whether a unit of this type counts its stock at the end of ``day`` (month or quarter end)."""
    if (day + timedelta(days=1)).day != 1:
        return False
    return unit_type in MONTHLY_COUNT_TYPES or day.month % 3 == 0


def count_row(rng: random.Random, rate: float, faults: FaultLog, count_id: int, unit_id: str, batch: str,
              count_date: date, book: int, counter: str) -> tuple:
    """One stock_count row: counted = book balance, or off by a few (fault stock_count_discrepancy)."""
    counted, remarks = book, None
    if rng.random() < rate:
        delta = -rng.randint(1, min(3, book)) if rng.random() < 0.7 else rng.randint(1, 2)
        counted, remarks = book + delta, "盘亏" if delta < 0 else "盘盈"
        faults.record("stock_count_discrepancy", count_id,
                      f"{unit_id} {batch} {count_date}: book {book}, counted {counted}")
    stamp = datetime.combine(count_date, time(17, 30))
    return (count_id, unit_id, batch, count_date, counted, counter, remarks, stamp)


class StockCountExtension:
    name = "stock_counts"
    tables = ("stock_count",)

    def on_child(self, ctx, child, doses, rng, emit, faults) -> None:
        return None

    @staticmethod
    def net_movements(ctx: GenContext) -> Iterator[tuple[str, dict[str, Counter]]]:
        """(unit, batch → Counter[day → net quantity in]) per unit with movements, in unit order."""
        rows = ctx.scratch.rows(
            """select unit_id, batch_id, day,
                      sum(case when left(doc_type, 3) = 'IN_' then qty else -qty end)::int
               from {s}.stock_flow group by 1, 2, 3 order by 1, 2, 3""")
        for unit_id, group in groupby(rows, key=itemgetter(0)):
            batches: dict[str, Counter] = defaultdict(Counter)
            for _, batch, day, net in group:
                batches[batch][day] = net
            yield unit_id, batches

    def finish(self, ctx: GenContext, emit, faults: FaultLog) -> None:
        rng = random.Random(f"{ctx.seed}:stock_counts")
        rate = ctx.fault_rates.get("stock_count_discrepancy", 0.0)
        units = ctx.world.units.by_id()
        count_id = 0
        for unit_id, batches in self.net_movements(ctx):
            first_day = min(day for days in batches.values() for day in days)
            monthly = units[unit_id].unit_type in MONTHLY_COUNT_TYPES
            counter = names.adult_name(rng, rng.choice("12"))
            dates = count_dates(first_day, ctx.as_of, monthly)
            if not dates:
                continue
            ledgers = {batch: _ledger(days) for batch, days in sorted(batches.items())}
            # only batches that can be on the shelf on a count date: still moving then, or left over
            ledgers = {batch: (days, balances) for batch, (days, balances) in ledgers.items()
                       if days[-1] >= dates[0] or balances[-1] > 0}
            for count_date in dates:
                for batch, (days, balances) in ledgers.items():
                    position = bisect_right(days, count_date)
                    book = balances[position - 1] if position else 0
                    if book <= 0:
                        continue
                    count_id += 1
                    emit("stock_count", count_row(rng, rate, faults, count_id, unit_id, batch, count_date, book,
                                                  counter))


EXTENSION = StockCountExtension()
