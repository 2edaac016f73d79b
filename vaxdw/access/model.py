"""The access model: users → roles; a role → region scope + vaccine scope + permissions.

Loaded from ``config/access.yaml`` (format in docs/access.md) and validated with errors that name the
offending entry. Region scope: GB/T 2260 codes at any level, descendants included (matched by code
prefix, see :func:`region_prefix`). Vaccine scope: category codes (2 digits), vaccine codes (4 digits),
or ``all``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from vaxdw.settings import PROJECT_ROOT

DEFAULT_ACCESS_FILE = PROJECT_ROOT / "config" / "access.yaml"
ALL = "all"
PERMISSIONS = {
    "export_summary": "导出汇总报表",
    "export_detail": "导出明细数据",
    "read_all_marts": "读取全部数据集市表 (含未按范围限制的表)",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")
_REGION = re.compile(r"^\d{6}(\d{3}|\d{6})?$")
_VACCINE = re.compile(r"^\d{2}(\d{2})?$")


class AccessConfigError(ValueError):
    """The access configuration is invalid; the message names the entry."""


def region_prefix(code: str) -> str:
    """The prefix shared by a region and all its descendants.

    6-digit codes drop trailing "00" pairs (610000 → 61, 610100 → 6101, 610104 → 610104); township
    codes (9 or 12 digits) are their own prefix.
    """
    if len(code) == 6:
        prefix = code
        while len(prefix) > 2 and prefix.endswith("00"):
            prefix = prefix[:-2]
        return prefix
    return code


@dataclass(frozen=True)
class Role:
    name: str
    name_zh: str
    regions: tuple[str, ...]
    vaccines: tuple[str, ...] | None  # None = all vaccines
    permissions: frozenset[str]

    @property
    def pg_role(self) -> str:
        return f"vaxdw_role_{self.name}"


@dataclass(frozen=True)
class User:
    name: str
    name_zh: str
    roles: tuple[Role, ...]

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset().union(*(role.permissions for role in self.roles))

    @property
    def password_env(self) -> str:
        return f"VAXDW_PASSWORD_{self.name.upper()}"


@dataclass(frozen=True)
class AccessModel:
    roles: dict[str, Role]
    users: dict[str, User]
    source: str = ""

    def user(self, name: str) -> User:
        try:
            return self.users[name]
        except KeyError:
            raise PermissionError(f"用户 {name} 未在访问控制配置中定义，无权访问") from None


def _fail(where: str, message: str) -> AccessConfigError:
    return AccessConfigError(f"access config {where}: {message}")


def _role(name: str, body: object) -> Role:
    where = f"roles.{name}"
    if not _NAME.match(name):
        raise _fail(where, "role names are lower-case letters, digits and _ (2-41 chars)")
    if not isinstance(body, dict):
        raise _fail(where, "must be a mapping with regions, vaccines, permissions")
    unknown = set(body) - {"name_zh", "regions", "vaccines", "permissions"}
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}")
    regions = body.get("regions")
    if not isinstance(regions, list) or not regions:
        raise _fail(where, "regions must be a non-empty list of region codes")
    for code in regions:
        if not isinstance(code, str) or not _REGION.match(code):
            raise _fail(where, f"region {code!r} is not a 6-, 9- or 12-digit code (quote it in YAML)")
    vaccines = body.get("vaccines", ALL)
    if vaccines == ALL:
        vaccine_scope = None
    elif isinstance(vaccines, list) and vaccines:
        for code in vaccines:
            if not isinstance(code, str) or not _VACCINE.match(code):
                raise _fail(where, f"vaccine {code!r} is neither a 2-digit category nor a 4-digit code")
        vaccine_scope = tuple(vaccines)
    else:
        raise _fail(where, "vaccines must be 'all' or a non-empty list of codes")
    permissions = body.get("permissions", [])
    if not isinstance(permissions, list):
        raise _fail(where, "permissions must be a list")
    for permission in permissions:
        if permission not in PERMISSIONS:
            raise _fail(where, f"unknown permission {permission!r}; known: {', '.join(PERMISSIONS)}")
    return Role(name, str(body.get("name_zh", name)), tuple(regions), vaccine_scope, frozenset(permissions))


def parse_access(data: object, source: str = "") -> AccessModel:
    if not isinstance(data, dict) or set(data) - {"roles", "users"}:
        raise _fail("top level", "must be a mapping with exactly the keys roles and users")
    raw_roles, raw_users = data.get("roles") or {}, data.get("users") or {}
    if not isinstance(raw_roles, dict) or not isinstance(raw_users, dict):
        raise _fail("top level", "roles and users must be mappings")
    roles = {name: _role(name, body) for name, body in raw_roles.items()}
    users: dict[str, User] = {}
    for name, body in raw_users.items():
        where = f"users.{name}"
        if not _NAME.match(name):
            raise _fail(where, "user names are lower-case letters, digits and _ (2-41 chars)")
        if not isinstance(body, dict) or not isinstance(body.get("roles"), list) or not body["roles"]:
            raise _fail(where, "must have a non-empty list 'roles'")
        unknown = set(body) - {"roles", "name_zh"}
        if unknown:
            raise _fail(where, f"unknown keys {sorted(unknown)}")
        missing = [role for role in body["roles"] if role not in roles]
        if missing:
            raise _fail(where, f"unknown roles {missing}")
        if name in roles:
            raise _fail(where, "a user may not share its name with a role")
        users[name] = User(name, str(body.get("name_zh", name)), tuple(roles[r] for r in body["roles"]))
    return AccessModel(roles, users, source)


def load_access(path: str | Path | None = None) -> AccessModel:
    path = Path(path) if path else DEFAULT_ACCESS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AccessConfigError(f"access config not found: {path}") from None
    except yaml.YAMLError as exc:
        raise AccessConfigError(f"access config {path} is not valid YAML: {exc}") from None
    return parse_access(data, str(path))
