"""What every `python -m bench.X` main shares: its option set-up, the at-least-one check, and the one
`RESULT-JSON {...}` line through which `python -m bench` reads a child's figures.

    from bench._cli import at_least_one, bench_parser, emit_result

    ap = bench_parser("python -m bench.stream", __doc__, size_mib=1024, runs=2)
    args = ap.parse_args(argv)
    at_least_one(ap, size_mib=args.size_mib, runs=args.runs)
    return emit_result(run(args.size_mib << 20, args.runs), args.json, stream_text)

The parent side is `result_of(stdout)`. One helper, so a child and its reader cannot drift apart (a
child printing pretty JSON, or without the prefix, would be read as "printed no result").
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

PREFIX = "RESULT-JSON "


def bench_parser(
    prog: str, doc: str | None = None, *, size_mib: int | None = None, runs: int | None = None,
    runs_help: str = "runs (min and median reported)", result_json: bool = True,
) -> argparse.ArgumentParser:
    """An ArgumentParser described by the first paragraph of `doc`, with `--json` (unless `result_json`
    is False: the orchestrator's own `--json` names a file) and, when given a default, `--size-mib` and
    `--runs`."""
    description = doc.split("\n\n")[0] if doc else None
    ap = argparse.ArgumentParser(prog=prog, description=description)
    if size_mib is not None:
        ap.add_argument("--size-mib", type=int, default=size_mib,
                        help=f"file size in MiB (default {size_mib})")
    if runs is not None:
        ap.add_argument("--runs", type=int, default=runs, help=f"{runs_help} (default {runs})")
    if result_json:
        ap.add_argument("--json", action="store_true", help="print the figures as one RESULT-JSON line")
    return ap


def at_least_one(ap: argparse.ArgumentParser, **values: int) -> None:
    """Exit with argparse's usage error (status 2, one line) naming every option below 1, e.g.
    `at_least_one(ap, size_mib=0, runs=3)`: "--size-mib must be at least 1"."""
    low = ["--" + name.replace("_", "-") for name, value in values.items() if value < 1]
    if low:
        ap.error(f"{' and '.join(low)} must be at least 1")


def emit_result(result: dict[str, Any], as_json: bool, text: Callable[[dict[str, Any]], str]) -> int:
    """Print the figures: one `RESULT-JSON` line (for `python -m bench`), or `text(result)` for a person."""
    if as_json:
        print(PREFIX + json.dumps(result, sort_keys=True), flush=True)
    else:
        print(text(result))
    return 0


def result_of(stdout: str) -> dict[str, Any] | None:
    """The figures a bench child printed (its last `RESULT-JSON` line), or None if it printed none."""
    lines = [line for line in stdout.splitlines() if line.startswith(PREFIX)]
    if not lines:
        return None
    result = json.loads(lines[-1].removeprefix(PREFIX))
    if not isinstance(result, dict):
        return None
    return result
