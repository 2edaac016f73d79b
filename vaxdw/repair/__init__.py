"""批量修复 (bulk repair): rule-driven changes written to the curated correction layer, with an audit trail."""
