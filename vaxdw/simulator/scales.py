"""Named data sizes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    children: int
    description: str


SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        Scale("tiny", 1_200, "unit/integration tests: whole generation in a few seconds"),
        Scale("small", 10_000, "quick local runs"),
        Scale("demo", 40_000, "the demo pipeline"),
        Scale("province", 2_000_000, "about Shaanxi's real 0–6 population (DOMAIN.md §5)"),
    )
}


def children_for(scale: str, children: int | None = None) -> int:
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return children if children is not None else SCALES[scale].children
