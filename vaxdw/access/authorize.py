"""Export authorisation: may this user run this export for these regions and vaccines?

``authorize`` either refuses with :class:`AccessDenied` (a Chinese message for the data staff) or
returns a :class:`Grant` whose ``sql_filter`` restricts a query to the user's scope intersected with
what was requested. A request without regions or vaccines means "everything I may see", not
"everything".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from vaxdw.access.model import PERMISSIONS, AccessModel, Role, User, load_access, region_prefix


class AccessDenied(PermissionError):
    """An export refused by the access model; ``str()`` is the Chinese message shown to the user."""


@dataclass(frozen=True)
class ExportScope:
    """What an export asks for: region codes and vaccine (category) codes; None = no restriction asked."""

    region_codes: tuple[str, ...] | None = None
    vaccine_codes: tuple[str, ...] | None = None

    @classmethod
    def of(cls, regions: Sequence[str] | str | None = None, vaccines: Sequence[str] | str | None = None):
        def norm(value):
            if value is None:
                return None
            return (value,) if isinstance(value, str) else tuple(value)
        return cls(norm(regions), norm(vaccines))

    def as_filters(self) -> dict[str, object]:
        return {"regions": list(self.region_codes or []), "vaccines": list(self.vaccine_codes or [])}


def region_covered(code: str, scope_code: str) -> bool:
    return code.startswith(region_prefix(scope_code))


def vaccine_covered(code: str, scope: tuple[str, ...] | None) -> bool:
    if scope is None:
        return True
    return any(code == allowed or (len(allowed) == 2 and code[:2] == allowed) for allowed in scope)


@dataclass(frozen=True)
class Grant:
    user: User
    action: str
    roles: tuple[Role, ...]
    requested: ExportScope

    def sql_filter(self, region_column: str, vaccine_column: str) -> tuple[str, list]:
        """A SQL boolean expression (psycopg %s placeholders) and its parameters."""
        clauses, params = [], []
        for role in self.roles:
            clause = f"{region_column} like any(%s)"
            params.append([region_prefix(code) + "%" for code in role.regions])
            if role.vaccines is not None:
                clause += f" and ({vaccine_column} = any(%s) or left({vaccine_column}, 2) = any(%s))"
                params += [list(role.vaccines), list(role.vaccines)]
            clauses.append(f"({clause})")
        sql = "(" + " or ".join(clauses) + ")"
        if self.requested.region_codes:
            sql += f" and {region_column} like any(%s)"
            params.append([region_prefix(code) + "%" for code in self.requested.region_codes])
        if self.requested.vaccine_codes:
            sql += f" and ({vaccine_column} = any(%s) or left({vaccine_column}, 2) = any(%s))"
            params += [list(self.requested.vaccine_codes), list(self.requested.vaccine_codes)]
        return sql, params

    def allows_vaccine(self, code: str) -> bool:
        if self.requested.vaccine_codes and not vaccine_covered(code, self.requested.vaccine_codes):
            return False
        return any(vaccine_covered(code, role.vaccines) for role in self.roles)


def authorize(
    user: str | User, action: str, scope: ExportScope | None = None, model: AccessModel | None = None
) -> Grant:
    """Allow or refuse ``action`` (a permission such as ``export_detail``) over ``scope``."""
    model = model or load_access()
    scope = scope or ExportScope()
    if isinstance(user, str):
        if user not in model.users:
            raise AccessDenied(f"用户“{user}”未在访问控制配置中定义，拒绝导出。")
        user = model.users[user]
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(PERMISSIONS)}")
    roles = tuple(role for role in user.roles if action in role.permissions)
    if not roles:
        raise AccessDenied(f"用户“{user.name_zh}”没有“{PERMISSIONS[action]}”权限，拒绝导出。")
    for code in scope.region_codes or ():
        if not any(region_covered(code, allowed) for role in roles for allowed in role.regions):
            raise AccessDenied(
                f"用户“{user.name_zh}”无权导出地区 {code} 的数据（可访问地区："
                f"{'、'.join(sorted({c for r in roles for c in r.regions}))}），拒绝导出。"
            )
    for code in scope.vaccine_codes or ():
        ok = any(
            vaccine_covered(code, role.vaccines)
            and (not scope.region_codes or all(any(region_covered(r, a) for a in role.regions)
                                               for r in scope.region_codes))
            for role in roles
        )
        if not ok:
            raise AccessDenied(f"用户“{user.name_zh}”无权导出疫苗 {code} 的数据，拒绝导出。")
    return Grant(user, action, roles, scope)
