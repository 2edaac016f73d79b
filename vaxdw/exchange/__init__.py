"""Data exchange with the national systems (docs/exchange.md).

- ``outbox`` / ``client`` / ``categories``: uploads to the national immunization information system
  (国家免疫规划信息管理系统) and circulation uploads to the collaborative platform (全国疫苗协同服务平台):
  changed records, batches, idempotency keys, per-record feedback, retries, reconciliation.
- ``receiver`` / ``inbox``: the collaborative platform's pushes, stored before they are acknowledged.
- ``coldchain``: third-party temperature feeds mapped to one model; supervision and alert events.
- ``simulators``: HTTP stand-ins for the remote systems, used by the demo and the tests.
"""
