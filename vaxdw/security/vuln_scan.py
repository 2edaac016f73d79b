"""Dependency vulnerability scan of the lock files against the OSV advisory database (osv.dev).

    python -m vaxdw.security.vuln_scan [requirements.lock requirements-superset.lock] [--out FILE]

Every ``name==version`` pin of the lock files is asked of OSV's batch API (``POST /v1/querybatch``,
ecosystem PyPI; ``VAXDW_OSV_URL`` overrides the address, e.g. a mirror). The result (packages scanned,
advisories per package, or why the scan could not run) is printed and written as JSON.

Exit codes: 0 no known advisory; 1 advisories found; 3 the advisory data is not reachable, in which case
the output says so plainly and nothing is claimed about the dependencies. ``make test`` runs the scan and
does not fail on 3 (these machines reach the package registries but not osv.dev).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from vaxdw import clock
from vaxdw.settings import PROJECT_ROOT

OSV_URL = "https://api.osv.dev"
LOCK_FILES = ("requirements.lock", "requirements-superset.lock")
BATCH = 500  # OSV's limit per querybatch request is 1000 queries
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#\\]+)")

EXIT_CLEAN, EXIT_FOUND, EXIT_UNREACHABLE = 0, 1, 3


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    lock_file: str


@dataclass
class ScanResult:
    scanned_at: str
    source: str
    lock_files: list[str]
    packages: int
    reachable: bool
    error: str | None = None
    advisories: dict[str, list[str]] = field(default_factory=dict)  # "name==version" -> OSV ids

    @property
    def exit_code(self) -> int:
        if not self.reachable:
            return EXIT_UNREACHABLE
        return EXIT_FOUND if self.advisories else EXIT_CLEAN

    def as_text(self) -> str:
        head = f"dependency scan of {', '.join(self.lock_files)}: {self.packages} pinned packages"
        if not self.reachable:
            return (f"{head}\nNOT SCANNED: the advisory database {self.source} is not reachable from this machine "
                    f"({self.error}); no statement is made about known vulnerabilities.")
        if not self.advisories:
            return f"{head}\nno known advisories in {self.source}"
        lines = [f"  {pin}: {', '.join(ids)}" for pin, ids in sorted(self.advisories.items())]
        return f"{head}\n{len(self.advisories)} packages with advisories:\n" + "\n".join(lines)


def read_pins(paths: list[Path]) -> list[Pin]:
    """The ``name==version`` pins of pip-compile style lock files (comments, hashes, options skipped)."""
    pins: dict[tuple[str, str], Pin] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = PIN.match(line.strip())
            if match:
                name = re.sub(r"[-_.]+", "-", match.group(1)).lower()  # PEP 503 normalised
                pins.setdefault((name, match.group(2)), Pin(name, match.group(2), path.name))
    return sorted(pins.values(), key=lambda p: (p.name, p.version))


def scan(pins: list[Pin], lock_files: list[str], base_url: str | None = None, timeout: float = 20) -> ScanResult:
    base_url = (base_url or os.environ.get("VAXDW_OSV_URL") or OSV_URL).rstrip("/")
    result = ScanResult(clock.now().isoformat(timespec="seconds"), base_url, lock_files, len(pins), True)
    try:
        with httpx.Client(timeout=timeout) as client:
            for start in range(0, len(pins), BATCH):
                chunk = pins[start:start + BATCH]
                queries = [{"package": {"name": p.name, "ecosystem": "PyPI"}, "version": p.version} for p in chunk]
                response = client.post(f"{base_url}/v1/querybatch", json={"queries": queries})
                response.raise_for_status()
                answers = response.json().get("results", [])
                if len(answers) != len(chunk):
                    raise ValueError(f"{len(answers)} answers for {len(chunk)} queries")
                for pin, answer in zip(chunk, answers, strict=True):
                    ids = sorted(v["id"] for v in answer.get("vulns") or [])
                    if ids:
                        result.advisories[f"{pin.name}=={pin.version}"] = ids
    except (httpx.HTTPError, ValueError) as exc:
        result.reachable, result.error, result.advisories = False, f"{type(exc).__name__}: {exc}", {}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lock_files", nargs="*", default=list(LOCK_FILES))
    parser.add_argument("--out", default=str(PROJECT_ROOT / "out" / "vuln_scan.json"))
    parser.add_argument("--osv-url", default=None)
    args = parser.parse_args(argv)
    paths = [Path(p) if Path(p).is_absolute() else PROJECT_ROOT / p for p in args.lock_files]
    result = scan(read_pins(paths), [p.name for p in paths], args.osv_url)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(asdict(result) | {"exit_code": result.exit_code}, ensure_ascii=False, indent=2),
                   encoding="utf-8")
    print(result.as_text())
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
