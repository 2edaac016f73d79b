"""The access model (config/access.yaml, ``vaxdw.access``) → Superset roles, users and RLS rules.

Interface (all this module needs from the access model): a list of :class:`UserScope`, each a user with
one or more :class:`RoleScope` (role name, region codes, vaccine codes or None for all, whether it may
read datasets that carry no region). :func:`scopes_from_model` is the one function wiring it to
``vaxdw.access``.

In Superset:
- one role per config role, ``vaxdw_role_<role>`` (no permissions of its own: RLS hangs on it);
- the shared role ``vaxdw_analyst`` (read every vaxdw dataset); users get ``Gamma`` + ``vaxdw_analyst`` +
  their scope roles (no SQL Lab);
- per (scope role, dataset) one Regular RLS rule, group key ``vaxdw_scope`` (rules of a user's several
  roles are OR-ed: the union of their scopes, as in the access model). A row's region is the most
  specific region of its unit (township, else county, else city code), matched by code prefix; vaccines
  by category (2 digits) or code (4 digits);
- datasets without region columns (province-wide totals) are readable only by roles with
  ``read_all_marts``;
- one Base rule ``1 = 0`` on every dataset for everyone except Admin and the scope roles: a user given
  dataset access by hand, outside the access model, sees no rows (default deny).
The clauses reach generated SQL, so chart data, CSV and Excel downloads are filtered alike.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from vaxdw.access.model import AccessModel, load_access, region_prefix
from vaxdw.bi.client import SupersetClient
from vaxdw.bi.dashboards import all_datasets
from vaxdw.bi.server import Superset, user_password
from vaxdw.bi.specs import Dataset

log = logging.getLogger(__name__)

ANALYST_ROLE = "vaxdw_analyst"
ROLE_PREFIX = "vaxdw_role_"
RULE_PREFIX = "vaxdw:"
GROUP_KEY = "vaxdw_scope"
DENY_RULE = "vaxdw:default-deny"


@dataclass(frozen=True)
class RoleScope:
    name: str
    name_zh: str
    region_codes: tuple[str, ...]
    vaccine_codes: tuple[str, ...] | None  # None = all vaccines
    read_unscoped: bool = False

    @property
    def superset_role(self) -> str:
        return f"{ROLE_PREFIX}{self.name}"


@dataclass(frozen=True)
class UserScope:
    user: str
    name_zh: str
    roles: tuple[RoleScope, ...]
    password_env: str = ""


def scopes_from_model(model: AccessModel) -> list[UserScope]:
    def role_scope(role) -> RoleScope:
        return RoleScope(role.name, role.name_zh, role.regions, role.vaccines, "read_all_marts" in role.permissions)

    return [
        UserScope(user.name, user.name_zh, tuple(role_scope(r) for r in user.roles), user.password_env)
        for user in model.users.values()
    ]


def region_expression(dataset: Dataset) -> str:
    if "region" in dataset.region_columns:  # the row's most specific region code, computed in the mart
        return dataset.region_columns["region"]
    cols = [dataset.region_columns[level] for level in ("township", "county", "city") if level in dataset.region_columns]
    return f"coalesce({', '.join(cols)})" if len(cols) > 1 else cols[0]


def _quote(value: str) -> str:
    if not value.isalnum():
        raise ValueError(f"unexpected code {value!r}")
    return f"'{value}'"


def rls_clause(dataset: Dataset, role: RoleScope) -> str:
    """The SQL predicate a dataset's rows must satisfy for ``role``."""
    if not dataset.region_columns:
        return "1 = 1" if role.read_unscoped else "1 = 0"
    expr = region_expression(dataset)
    region = " or ".join(f"{expr} like {_quote(region_prefix(code))[:-1]}%'" for code in role.region_codes)
    clause = f"({region})"
    if role.vaccine_codes is not None:
        if not dataset.vaccine_column:
            return "1 = 0"
        col = dataset.vaccine_column
        codes = ", ".join(_quote(c) for c in role.vaccine_codes)
        clause += f" and ({col} in ({codes}) or left({col}, 2) in ({codes}))"
    return clause


def _by_name(rows: list[dict], key: str = "name") -> dict[str, dict]:
    return {row[key]: row for row in rows}


def _analyst_permission_ids(client: SupersetClient) -> list[int]:
    rows = client.list_all("/api/v1/security/permissions-resources/")
    return [r["id"] for r in rows
            if r["permission"]["name"] == "all_datasource_access" and r["view_menu"]["name"] == "all_datasource_access"]


def sync_access(client: SupersetClient, sup: Superset, scopes: list[UserScope],
                datasets: list[Dataset] | None = None) -> dict[str, int]:
    """Make Superset's vaxdw roles, users and RLS rules match ``scopes`` (idempotent)."""
    datasets = datasets or all_datasets()
    role_scopes = {r.name: r for u in scopes for r in u.roles}

    roles = _by_name(client.list_all("/api/v1/security/roles/"))
    for name in [ANALYST_ROLE, *(r.superset_role for r in role_scopes.values())]:
        if name not in roles:
            roles[name] = {"id": client.post("/api/v1/security/roles/", {"name": name})["id"], "name": name}
    client.post(f"/api/v1/security/roles/{roles[ANALYST_ROLE]['id']}/permissions",
                {"permission_view_menu_ids": _analyst_permission_ids(client)})

    users = _by_name(client.list_all("/api/v1/security/users/"), "username")
    wanted_users = {u.user for u in scopes}
    for scope in scopes:
        role_ids = sorted([roles["Gamma"]["id"], roles[ANALYST_ROLE]["id"],
                           *(roles[r.superset_role]["id"] for r in scope.roles)])
        body = {"first_name": scope.name_zh, "last_name": " ", "email": f"{scope.user}@vaxdw.local",
                "active": True, "roles": role_ids}
        password = user_password(sup, scope.user, os.environ.get(scope.password_env) if scope.password_env else None)
        if scope.user in users:
            client.put(f"/api/v1/security/users/{users[scope.user]['id']}", {**body, "password": password})
        else:
            client.post("/api/v1/security/users/", {**body, "username": scope.user, "password": password})
    # Users that left the access model keep their history but can no longer log in.
    for name, row in users.items():
        role_names = {r["name"] for r in row.get("roles", [])} if row.get("roles") else set()
        if name not in wanted_users and any(n.startswith(ROLE_PREFIX) for n in role_names):
            client.put(f"/api/v1/security/users/{row['id']}", {"active": False})

    live = _by_name(client.list_all("/api/v1/dataset/", ["id", "table_name"]), "table_name")
    ids = {d.name: live[d.name]["id"] for d in datasets if d.name in live}
    missing = [d.name for d in datasets if d.name not in live]
    if missing:
        raise RuntimeError(f"datasets not in Superset (import the assets first): {missing}")
    wanted: dict[str, dict] = {}
    for role in role_scopes.values():
        for dataset in datasets:
            wanted[f"{RULE_PREFIX}{role.name}:{dataset.name}"] = {
                "filter_type": "Regular", "tables": [ids[dataset.name]], "roles": [roles[role.superset_role]["id"]],
                "group_key": GROUP_KEY, "clause": rls_clause(dataset, role),
                "description": f"{role.name_zh}: {dataset.description}"[:250],
            }
    wanted[DENY_RULE] = {
        "filter_type": "Base", "tables": sorted(ids.values()), "group_key": "",
        "roles": sorted([roles["Admin"]["id"], *(roles[r.superset_role]["id"] for r in role_scopes.values())]),
        "clause": "1 = 0", "description": "默认拒绝: 不在访问控制配置中的用户看不到任何行",
    }
    existing = _by_name(client.list_all("/api/v1/rowlevelsecurity/"))
    for name, body in wanted.items():
        if name in existing:
            client.put(f"/api/v1/rowlevelsecurity/{existing[name]['id']}", {"name": name, **body})
        else:
            client.post("/api/v1/rowlevelsecurity/", {"name": name, **body})
    stale = [row for name, row in existing.items() if name.startswith(RULE_PREFIX) and name not in wanted]
    for row in stale:
        client.delete(f"/api/v1/rowlevelsecurity/{row['id']}")
    return {"roles": len(role_scopes), "users": len(scopes), "rls_rules": len(wanted), "rls_removed": len(stale)}


def load_scopes(path: str | None = None) -> list[UserScope]:
    return scopes_from_model(load_access(path))
