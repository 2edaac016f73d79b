from vaxdw.reports.docs import TARGET, render_markdown


def test_reports_index_is_regenerated():
    """docs/reports.md must be regenerated (python -m vaxdw.reports.docs) when a report page changes."""
    assert TARGET.read_text(encoding="utf-8") == render_markdown()
