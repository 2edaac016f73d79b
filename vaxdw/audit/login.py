"""Audit a CLI invocation by a named user (``--user``): the login to the CLI/exporters (登录审计).

The row is written before the command runs (so a refused or crashing command is still on record) and
completed with the exit status. If the audit row cannot be written the command does not run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from vaxdw.audit.events import finish_login, start_login
from vaxdw.db import PgParams


def command_name(args: argparse.Namespace) -> str:
    parts = [args.command]
    for attr in ("action", "report_name", "access_command", "audit_command"):
        value = getattr(args, attr, None)
        if isinstance(value, str):
            parts.append(value)
    return " ".join(parts)


def run_audited(warehouse: PgParams, args: argparse.Namespace, argv: list[str],
                run: Callable[[argparse.Namespace], int]) -> int:
    event_id = start_login(warehouse, args.user, command_name(args), argv)
    try:
        code = run(args)
    except SystemExit as exc:
        finish_login(warehouse, event_id, f"exit {exc.code if isinstance(exc.code, int) else 1}")
        raise
    except BaseException as exc:
        finish_login(warehouse, event_id, f"error {type(exc).__name__}: {exc}"[:500])
        raise
    finish_login(warehouse, event_id, f"exit {code or 0}")
    return code
