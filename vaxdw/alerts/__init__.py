"""One alert path for everything that can go wrong (task failure, quality breach, backup failure, …).

``raise_alert`` records the event in ``monitor.alert_event`` and notifies DingTalk and email unless the
same key was already notified within the de-duplication window; ``resolve_alert`` closes it and sends
a recovery message.
"""

from vaxdw.alerts.dispatch import AlertOutcome, raise_alert, resolve_alert

__all__ = ["AlertOutcome", "raise_alert", "resolve_alert"]
