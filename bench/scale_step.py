"""One pipeline step in its own process, for bench.scale's time and memory measurements.

    python -m bench.scale_step transform <run_id> [--full-refresh]
"""

from __future__ import annotations

import argparse
import json

from vaxdw import pipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["extract_load", "transform", "check_quality", "export_statements"])
    parser.add_argument("run_id")
    parser.add_argument("--full-refresh", action="store_true")
    args = parser.parse_args(argv)
    kwargs = {"full_refresh": True} if args.full_refresh else {}
    payload = getattr(pipeline, args.step)(args.run_id, **kwargs)
    print(json.dumps(payload, ensure_ascii=False, default=str)[:2000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
