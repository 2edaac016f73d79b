"""`vaxdw access sync|show`: apply config/access.yaml to the warehouse, or print the resolved model."""

from __future__ import annotations

import argparse


def cmd_access(args: argparse.Namespace) -> int:
    from vaxdw.access.model import load_access

    model = load_access(args.config)
    if args.access_command == "show":
        for user in model.users.values():
            for role in user.roles:
                vaccines = "全部疫苗" if role.vaccines is None else "、".join(role.vaccines)
                print(f"{user.name}\t{role.name}\t{role.name_zh}\t地区 {'、'.join(role.regions)}\t"
                      f"{vaccines}\t{','.join(sorted(role.permissions))}")
        return 0
    from vaxdw.access.postgres import sync_access
    from vaxdw.db import resolve

    _, warehouse = resolve()
    print(sync_access(warehouse, model, applied_by=args.user).as_text())
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("access", help="访问控制: sync config/access.yaml to PostgreSQL, or show it")
    parser.add_argument("access_command", choices=["sync", "show"])
    parser.add_argument("--config", default=None, help="access config (default config/access.yaml)")
    parser.add_argument("--user", default=None, help="who applies it (recorded in the audit; default VAXDW_OPERATOR)")
    parser.set_defaults(func=cmd_access)
