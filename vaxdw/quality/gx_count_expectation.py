"""The GX expectation of an ``unexpected_where`` rule: GX's ``UnexpectedRowsExpectation``, counting only.

GX 1.24's ``UnexpectedRowsExpectation`` resolves two metrics on every validation: the number of rows its
query returns (``unexpected_rows_query.row_count``, which decides success and is the observed value)
and the rows themselves (``unexpected_rows_query.table``: the query runs a second time and every
failing row is sent to the client, of which 200 are kept for result format COMPLETE). A check run
asks for result format BASIC, which never shows those rows, and writes all failing rows server-side
(:func:`vaxdw.quality.checkpoint._write_failing_rows`), so the second execution was pure cost: a
second scan of the batch per rule (measured by ``bench/quality_checkpoint.py``).

``UnexpectedRowsCountExpectation`` is that expectation with the count as its only metric; its query,
success (no unexpected rows), observed value, severity and Data Docs rendering are
``UnexpectedRowsExpectation``'s. GX registers it by class name (type
``unexpected_rows_count_expectation``) when this module is imported: :mod:`vaxdw.quality.suites`
and :mod:`vaxdw.quality.checkpoint` import it before they build suites.
"""

from __future__ import annotations

from typing import Any, ClassVar

from great_expectations.expectations.core.unexpected_rows_expectation import UnexpectedRowsExpectation

COUNT = "unexpected_rows_query.row_count"


class UnexpectedRowsCountExpectation(UnexpectedRowsExpectation):
    """This Expectation passes when its ``unexpected_rows_query`` returns no rows; the result is the
    number of rows it returns (no sample of them)."""

    metric_dependencies: ClassVar[tuple[str, ...]] = (COUNT,)

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict:
        count = metrics[COUNT]
        return {"success": count == 0, "result": {"observed_value": count}}


EXPECTATION_TYPE = UnexpectedRowsCountExpectation.expectation_type
