"""Dashboard families. Adding a dashboard for a new mart = one module here (``DATASETS``,
``DASHBOARD``) listed in ``DASHBOARD_MODULES``; the front page lists it automatically."""

from __future__ import annotations

import importlib

from vaxdw.bi.specs import Dashboard, Dataset

DASHBOARD_MODULES: list[str] = [
    "vaxdw.bi.dashboards.shizhong",
    "vaxdw.bi.dashboards.quality",
    "vaxdw.bi.dashboards.coverage",
    "vaxdw.bi.dashboards.visits",
    "vaxdw.bi.dashboards.ipv",
    "vaxdw.bi.dashboards.obstetric",
    "vaxdw.bi.dashboards.stock",
    "vaxdw.bi.dashboards.stock_indicators",
    "vaxdw.bi.dashboards.coldchain",
    "vaxdw.bi.dashboards.exchange",
]


def family_dashboards() -> list[Dashboard]:
    boards = [importlib.import_module(name).DASHBOARD for name in DASHBOARD_MODULES]
    return sorted(boards, key=lambda board: (board.order, board.slug))


def all_dashboards() -> list[Dashboard]:
    from vaxdw.bi.dashboards.home import home_dashboard

    families = family_dashboards()
    return [home_dashboard(families), *families]


def all_datasets() -> list[Dataset]:
    seen: dict[str, Dataset] = {}
    for name in DASHBOARD_MODULES:
        for dataset in importlib.import_module(name).DATASETS:
            if seen.setdefault(dataset.name, dataset) is not dataset:
                raise ValueError(f"dataset {dataset.name} defined twice")
    return list(seen.values())
