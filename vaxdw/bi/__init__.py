"""Superset for vaxdw: dashboards as code, the server's life cycle, and the access model as roles + RLS.

- ``specs``/``dashboards/``: small Python specs (datasets, charts, native filters, layout), one module per
  report family, listed in ``dashboards.DASHBOARD_MODULES``.
- ``generate``: specs → ``superset_assets/`` (Superset's import format, stable UUIDs, no credentials).
- ``bundle``: validate ``superset_assets/`` and zip it with the database URI filled in at import time.
- ``server``: Superset's own virtualenv, generated ``superset_config.py``, start/stop, admin.
- ``client``: the REST API (import, roles, users, RLS, chart data).
- ``access``: access grants (user → role → region scope + vaccine scope) → Superset roles and RLS rules.
- ``export``: live assets back into ``superset_assets/`` for review as a diff.
"""
