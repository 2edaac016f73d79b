"""Run the dbt project (dbt_project/) as a subprocess and summarise its run_results.json.

The venv's own ``dbt`` executable is used (next to ``sys.executable``), with the project's
``profiles.yml``; the warehouse connection goes in through the VAXDW_WH_* environment variables
that profile reads.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from vaxdw.db import PgParams
from vaxdw.extract_load.lock import loads_paused
from vaxdw.settings import Settings, get_settings

log = logging.getLogger(__name__)

_FAILED_STATUSES = {"error", "fail", "runtime error"}


@dataclass
class DbtNodeResult:
    unique_id: str
    resource_type: str
    status: str
    message: str | None = None
    failures: int | None = None


@dataclass
class DbtResult:
    """Counts from one dbt invocation (from target/run_results.json)."""

    args: list[str]
    returncode: int
    models_built: int = 0
    seeds_loaded: int = 0
    snapshots_built: int = 0
    tests_passed: int = 0
    tests_warned: int = 0
    tests_failed: int = 0
    errors: int = 0
    skipped: int = 0
    elapsed_seconds: float = 0.0
    nodes: list[DbtNodeResult] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.failed_nodes

    @property
    def failed_nodes(self) -> list[DbtNodeResult]:
        return [node for node in self.nodes if node.status in _FAILED_STATUSES]

    @property
    def warned_nodes(self) -> list[DbtNodeResult]:
        return [node for node in self.nodes if node.status == "warn"]

    def __str__(self) -> str:
        return self.summary()

    def summary(self) -> str:
        return (
            f"dbt {' '.join(self.args)}: models={self.models_built} seeds={self.seeds_loaded} "
            f"tests passed={self.tests_passed} warned={self.tests_warned} failed={self.tests_failed} "
            f"errors={self.errors} skipped={self.skipped} ({self.elapsed_seconds:.1f}s)"
        )


class DbtRunError(RuntimeError):
    """dbt exited non-zero or reported failing nodes."""

    def __init__(self, result: DbtResult) -> None:
        self.result = result
        lines = [f"dbt {' '.join(result.args)} failed (exit code {result.returncode})"]
        for node in result.failed_nodes:
            detail = " | ".join(line.strip() for line in (node.message or "").strip().splitlines()[:4])
            lines.append(f"  - {node.unique_id} [{node.status}]: {detail}")
        if not result.failed_nodes:
            tail = (result.stdout + "\n" + result.stderr).strip().splitlines()[-30:]
            lines.append("  no failing node in run_results.json; dbt output (last lines):")
            lines.extend("    " + line for line in tail)
        super().__init__("\n".join(lines))


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def dbt_env(params: PgParams) -> dict[str, str]:
    """The environment for a dbt subprocess: the current one plus the warehouse connection."""
    env = dict(os.environ)
    env.update(
        {
            "VAXDW_WH_HOST": params.host,
            "VAXDW_WH_PORT": str(params.port),
            "VAXDW_WH_USER": params.user,
            "VAXDW_WH_PASSWORD": params.password,
            "VAXDW_WH_DBNAME": params.dbname,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
            "DBT_VERSION_CHECK": "False",
            "DO_NOT_TRACK": "1",
        }
    )
    return env


def parse_run_results(path: Path, args: list[str], returncode: int) -> DbtResult:
    result = DbtResult(args=list(args), returncode=returncode)
    if not path.exists():
        return result
    data = json.loads(path.read_text(encoding="utf-8"))
    result.elapsed_seconds = float(data.get("elapsed_time") or 0.0)
    counts: Counter[tuple[str, str]] = Counter()
    for item in data.get("results", []):
        unique_id = item.get("unique_id", "")
        resource_type = unique_id.split(".", 1)[0]
        status = str(item.get("status", "")).lower()
        counts[(resource_type, status)] += 1
        result.nodes.append(
            DbtNodeResult(
                unique_id=unique_id,
                resource_type=resource_type,
                status=status,
                message=item.get("message"),
                failures=item.get("failures"),
            )
        )
    result.models_built = counts[("model", "success")]
    result.seeds_loaded = counts[("seed", "success")]
    result.snapshots_built = counts[("snapshot", "success")]
    result.tests_passed = counts[("test", "pass")] + counts[("unit_test", "pass")]
    result.tests_warned = counts[("test", "warn")] + counts[("unit_test", "warn")]
    result.tests_failed = counts[("test", "fail")] + counts[("unit_test", "fail")]
    result.errors = sum(n for (kind, status), n in counts.items() if status in {"error", "runtime error"})
    result.skipped = sum(n for (kind, status), n in counts.items() if status == "skipped")
    return result


def with_evaluation_date(args: list[str], vars: dict[str, object] | None,
                         settings: Settings | None = None) -> tuple[list[str], dict[str, object] | None]:
    """``args`` and ``vars`` with dbt var ``evaluation_date`` from the setting (VAXDW_EVALUATION_DATE).

    Unchanged when the setting is unset, when ``args`` is not a dbt command, or when the caller passed
    ``evaluation_date`` itself (in ``vars`` or in a ``--vars`` of ``args``). A ``--vars`` in ``args`` is
    taken out and merged into the returned ``vars`` (dbt honours only one ``--vars``)."""
    evaluation_date = (settings or get_settings()).evaluation_date
    if evaluation_date is None or not args or args[0].startswith("-"):
        return args, vars
    rest: list[str] = []
    given: dict[str, object] = {}
    items = iter(args)
    for arg in items:
        if arg == "--vars" or arg.startswith("--vars="):
            text = arg.partition("=")[2] if "=" in arg else next(items, "")
            parsed = yaml.safe_load(text) if text.strip() else {}
            if not isinstance(parsed, dict):
                raise ValueError(f"dbt --vars must be a mapping: {text!r}")
            given.update(parsed)
        else:
            rest.append(arg)
    merged = {**given, **(vars or {})}
    if "evaluation_date" in merged:
        return args, vars
    return rest, {**merged, "evaluation_date": evaluation_date.isoformat()}


def run_dbt(
    params: PgParams,
    args: list[str] | None = None,
    project_dir: Path | str | None = None,
    target_path: Path | str | None = None,
    vars: dict[str, object] | None = None,
    check: bool = True,
    timeout: float | None = 3600,
) -> DbtResult:
    """Run ``dbt <args>`` against the warehouse ``params``; default ``build``.

    ``target_path`` (default ``<project>/target``) lets parallel runs keep their artefacts and
    logs apart. With ``check`` (default) a failed run raises :class:`DbtRunError` naming the
    failing nodes; warnings never raise. When VAXDW_EVALUATION_DATE is set and the caller did not pass
    ``evaluation_date``, it goes to dbt as that var (:func:`with_evaluation_date`).
    """
    args = list(args) if args else ["build"]
    command_args, vars = with_evaluation_date(args, vars)
    project = Path(project_dir) if project_dir else get_settings().dbt_project_dir
    project = project.resolve()
    target = Path(target_path).resolve() if target_path else project / "target"
    command = [
        dbt_executable(),
        "--quiet",
        "--no-use-colors",
        *command_args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(target),
    ]
    if vars:
        command += ["--vars", json.dumps(vars, default=str)]
    env = dbt_env(params)
    env["DBT_LOG_PATH"] = str(target / "logs")
    run_results = target / "run_results.json"
    if run_results.exists():
        run_results.unlink()
    log.info("running %s", " ".join(command[:3] + args))
    # Loads wait while dbt runs (and dbt waits for a running load): no load commits between two models of
    # one build, which the incremental models rely on (vaxdw.extract_load.lock). Two builds of one warehouse
    # do not overlap either.
    with loads_paused(params):
        completed = subprocess.run(
            command,
            cwd=str(project),
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    result = parse_run_results(run_results, args, completed.returncode)
    # Keep the tail only: the result is recorded as JSON by the pipeline.
    result.stdout, result.stderr = completed.stdout[-20000:], completed.stderr[-20000:]
    log.info(result.summary())
    if check and not result.ok:
        raise DbtRunError(result)
    return result
