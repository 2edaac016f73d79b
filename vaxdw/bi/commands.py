"""`vaxdw superset up|generate|validate|export|sync-access|stop`."""

from __future__ import annotations

import argparse
import sys


def cmd_superset(args: argparse.Namespace) -> int:
    from vaxdw.bi import server
    from vaxdw.db import resolve
    from vaxdw.settings import get_settings

    settings = get_settings()
    sup = server.instance(settings)
    action = args.superset_command
    if action == "up":
        from vaxdw.bi.metadata_secrets import SecretKeyMismatch
        from vaxdw.bi.setup import superset_up

        try:
            print(superset_up(settings, access_config=args.config, reset_connections=args.reset_connections).as_text())
        except SecretKeyMismatch as exc:
            print(exc, file=sys.stderr)
            return 2
    elif action == "generate":
        from vaxdw.bi.generate import ASSETS_DIR, generate_assets

        counts = generate_assets(resolve(settings)[1])
        print(f"wrote {ASSETS_DIR}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    elif action == "validate":
        from vaxdw.bi.bundle import load_assets, validate_assets

        problems = validate_assets(load_assets())
        print("\n".join(problems) or "superset_assets/ OK")
        return 1 if problems else 0
    elif action == "export":
        from vaxdw.bi.client import SupersetClient
        from vaxdw.bi.export import export_assets

        written = export_assets(SupersetClient(sup.base_url, sup.admin, sup.admin_password))
        print(f"exported {len(written)} files into superset_assets/; review with `git diff superset_assets`")
    elif action == "sync-access":
        from vaxdw.bi.access import load_scopes, sync_access
        from vaxdw.bi.client import SupersetClient

        client = SupersetClient(sup.base_url, sup.admin, sup.admin_password)
        print(sync_access(client, sup, load_scopes(args.config)))
    elif action == "stop":
        print("stopped" if server.stop(sup) else "not started by vaxdw (no pid file)")
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("superset", help="Superset: start + import + access sync, assets as code")
    parser.add_argument("superset_command", choices=["up", "generate", "validate", "export", "sync-access", "stop"])
    parser.add_argument("--config", default=None, help="access config (default config/access.yaml)")
    parser.add_argument("--reset-connections", action="store_true",
                        help="up: clear connection secrets the current SECRET_KEY cannot decrypt (old key lost)")
    parser.set_defaults(func=cmd_superset)
