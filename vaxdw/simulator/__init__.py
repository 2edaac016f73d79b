"""The source simulator: a synthetic Shaanxi immunization operational database (schema ``ops``).

``generate`` builds it from the contract (vaxdw.contract) with injected faults recorded in
``sim.injected_fault``; ``simulate_changes`` plays "the day after" for incremental loads.
One module per entity group (regions, units, staff, code_tables, recipients, vaccinations);
adding an entity is adding a module and a step in ``generate.py``.
"""

from vaxdw.simulator.changes import ChangeSummary, simulate_changes
from vaxdw.simulator.faults import DEFAULT_FAULT_RATES, FAULT_TYPES
from vaxdw.simulator.generate import DEFAULT_AS_OF, DEFAULT_SEED, GenerationSummary, generate
from vaxdw.simulator.scales import SCALES

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_FAULT_RATES",
    "DEFAULT_SEED",
    "FAULT_TYPES",
    "SCALES",
    "ChangeSummary",
    "GenerationSummary",
    "generate",
    "simulate_changes",
]
