"""Extract from the operational system, load into the warehouse's append-only ``raw`` schema.

Public entry points: :func:`load_table`, :func:`load_all`.
"""

from vaxdw.extract_load.loader import LoadResult, load_all, load_table

__all__ = ["LoadResult", "load_all", "load_table"]
