"""The upload categories' specs: the watermark query is derived from the relation read, and the payload fields
of the per-row categories are the ones docs/exchange.md §4 promises."""

from __future__ import annotations

import re

import pytest

from vaxdw.exchange.categories import CATEGORIES
from vaxdw.settings import PROJECT_ROOT


@pytest.mark.parametrize("name", sorted(CATEGORIES))
def test_watermark_follows_the_relation_read(name):
    category = CATEGORIES[name]
    relation = category.requires[0]
    assert re.search(rf"\bfrom {re.escape(relation)}\b", category.changed_sql)
    if category.load_ids:
        assert category.max_load_sql == f"select max(_load_id) from {relation}"
        assert "_load_id > %(wm)s" in category.changed_sql
    else:  # no load ids: every row is compared by content, the watermark stays put
        assert category.max_load_sql is None
        assert "%(wm)s is not null" in category.changed_sql


def test_payload_fields_match_the_interface_contract():
    doc = (PROJECT_ROOT / "docs" / "exchange.md").read_text(encoding="utf-8")
    for name in ("recipient", "vaccination", "staff"):
        listed = re.search(rf"^- \*\*{name}\*\*: `([^`]*)`", doc, re.MULTILINE).group(1)
        documented = [re.sub(r"\s*\(.*?\)", "", field).strip() for field in listed.split(",")]
        built = re.findall(r"'(\w+)', ", CATEGORIES[name].changed_sql)
        assert built == documented, name
