"""CLI start-up and the whole `aitrail cid` process: what a user waits for, not only the inner function.

    python -m bench.startup [--runs 5] [--cid-mib 1024] [--json]

Each figure is one whole CLI process, importing and calling the same `main` as the `aitrail` entry point,
timed from spawn to exit. `python -c pass` is measured the same way as the
anchor: no command can start faster than the interpreter. Peak memory is the child's VmHWM, read by the
child itself just before it exits (ru_maxrss would carry this parent's peak across exec).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aitrail.cli import COMMANDS
from bench._cli import at_least_one, bench_parser, emit_result
from bench.cid import _PEAK, _make_file, _warm

# The child runs the CLI exactly as the console script does, then prints its own peak RSS on stderr.
_CLI = _PEAK + """
import sys
from aitrail.cli import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
print("PEAK", peak(), file=sys.stderr)
sys.exit(code)
"""
_BARE = _PEAK + """
import sys
print("PEAK", peak(), file=sys.stderr)
"""


def _once(script: str, *args: str) -> tuple[float, int]:
    """(wall seconds of the whole process, its peak RSS in bytes)."""
    env = dict(os.environ, AITRAIL_NO_PROGRESS="1")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, env=env,
                         check=True)
    wall = time.perf_counter() - t0
    peak = [int(ln.split()[1]) for ln in out.stderr.splitlines() if ln.startswith("PEAK ")][-1]
    return wall, peak


def _series(runs: int, script: str, *args: str) -> dict[str, float]:
    got = [_once(script, *args) for _ in range(runs)]
    walls = [g[0] for g in got]
    return {"seconds_min": min(walls), "seconds_median": statistics.median(walls),
            "peak_rss_mib": max(g[1] for g in got) / 2**20}


def run(runs: int, cid_mib: int) -> dict[str, Any]:
    res: dict[str, Any] = {"runs": runs, "interpreter": _series(runs, _BARE)}
    res["commands"] = {
        "--help": _series(runs, _CLI, "--help"),
        "--version": _series(runs, _CLI, "--version"),
        **{f"{name} --help": _series(runs, _CLI, name, "--help") for name in COMMANDS},
    }
    if cid_mib:
        with tempfile.TemporaryDirectory(prefix="aitrail-bench-startup-") as tmp:
            data = Path(tmp) / "data.bin"
            _make_file(data, cid_mib << 20)
            _warm(data)
            res["cid_cli"] = {"size_bytes": cid_mib << 20, **_series(min(runs, 3), _CLI, "cid", str(data))}
    return res


def main(argv: list[str] | None = None) -> int:
    from bench.report import startup_text

    ap = bench_parser("python -m bench.startup", __doc__, runs=5,
                     runs_help="processes per command (min and median reported)")
    ap.add_argument("--cid-mib", type=int, default=1024,
                    help="file size for the whole `aitrail cid` process (0: not measured)")
    args = ap.parse_args(argv)
    at_least_one(ap, runs=args.runs)
    return emit_result(run(args.runs, args.cid_mib), args.json, startup_text)


if __name__ == "__main__":
    raise SystemExit(main())
