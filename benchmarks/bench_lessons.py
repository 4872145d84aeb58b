"""Lessons benchmark: every lesson's check on its reference solution, timed, against the issue's budgets.

Run: python benchmarks/bench_lessons.py [--json]
Targets (issue 16): each reference check ≤ 60 s on 2 cores, most ≤ 15 s, all together ≤ 8 min. Each check is
run twice in one process: first as `lesson check` runs it (paying for its dataset's generation and the first
use of each layer), then again, as a server that has run it once does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from builder.lessons import check, list_lessons  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    for x in list_lessons():
        t0 = time.perf_counter()
        check(x.name)  # cold: the dataset's generation, the first use of its layers
        t1 = time.perf_counter()
        outcome = check(x.name)
        seconds, cold = time.perf_counter() - t1, t1 - t0
        rows.append({"number": x.number, "lesson": x.name, "passed": outcome.passed, "seconds": round(seconds, 1),
                     "cold": round(cold, 1),
                     "runs": len(outcome.runs), "criteria": [c.text for c in outcome.criteria]})  # fmt: skip
    total, total_cold = sum(r["seconds"] for r in rows), sum(r["cold"] for r in rows)
    if args.json:
        print(json.dumps({"lessons": rows, "total": round(total, 1), "total_cold": round(total_cold, 1)}))
    else:
        for r in rows:
            print(f"{r['number']:>2}  {r['lesson']:15s} {'pass' if r['passed'] else 'FAIL'}  cold {r['cold']:5.1f} s, "
                  f"again {r['seconds']:5.1f} s  "
                  f"{r['runs']} run(s)  {'; '.join(r['criteria'])}")  # fmt: skip
        quick = sum(r["cold"] <= 15 for r in rows)
        print(f"total cold {total_cold:.1f} s, again {total:.1f} s (target ≤ 480 s); {quick} of {len(rows)} ≤ 15 s "
              f"cold; slowest {max(r['cold'] for r in rows):.1f} s (target ≤ 60 s)")  # fmt: skip
    return 0 if all(r["passed"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
