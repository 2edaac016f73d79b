"""Metrics in Prometheus text format: the pipeline's own health and PostgreSQL's."""

from vaxdw.monitoring.metrics import collect, render

__all__ = ["collect", "render"]
