"""The access model (config/access.yaml) and where it is enforced: PostgreSQL RLS, exporters, audit."""

from vaxdw.access.audit import audited_export, log_export
from vaxdw.access.authorize import AccessDenied, ExportScope, Grant, authorize
from vaxdw.access.model import (
    AccessConfigError,
    AccessModel,
    Role,
    User,
    load_access,
    parse_access,
    region_prefix,
)

__all__ = [
    "AccessConfigError", "AccessDenied", "AccessModel", "ExportScope", "Grant", "Role", "User",
    "audited_export", "authorize", "load_access", "log_export", "parse_access", "region_prefix",
]
