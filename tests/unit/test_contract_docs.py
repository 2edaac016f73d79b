from vaxdw.contract.docs import DOC_PATH, render_markdown


def test_committed_source_schema_doc_is_current():
    """docs/source-schema.md must equal the generator's output; run `python -m vaxdw.contract.docs`."""
    assert DOC_PATH.read_text(encoding="utf-8") == render_markdown()


def test_doc_covers_every_table_and_the_manifest():
    text = render_markdown()
    for name in ("region", "township_change", "unit", "vaccine", "manufacturer", "staff", "recipient", "vaccination"):
        assert f"`ops.{name}`" in text
    assert "sim.injected_fault" in text and "外地转来" in text and "0202" in text
