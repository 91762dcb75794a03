"""Federated training: gas per participant per round and the wall-time overhead of recording.

    python -m bench.fl [--rounds 5] [--runs 3] [--json]

A fresh Anvil on a free 127.0.0.1 port, the suite deployed, five hospitals registered in their own homes
(aitrail.fl.demo), the embedded store shared by the homes. Each run trains the same federation (MultiKrum
f=1 keep=4, hospital 5 Byzantine) twice from the same initial weights: once recorded (RecordingClient +
RecordingStrategy: every update encrypted, stored and committed, every aggregate checked, stored and
committed) and once under plain Flower (the same Flower strategy and clients, nothing recorded), in the
same process, alternating. The anchor is the plain run: overhead = recorded / plain, and the extra
seconds per round. Gas comes from the recorded runs' receipts (a 1,000 TRAIL pool, so aggregates
credit rewards).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench._cli import at_least_one, bench_parser, emit_result

RULE = "MultiKrum f=1 keep=4"


def run(rounds: int, runs: int) -> dict[str, Any]:
    import numpy as np

    from aitrail.chain.local import LocalChain
    from aitrail.fl import demo

    root = Path(tempfile.mkdtemp(prefix="aitrail-bench-fl-"))
    chain = LocalChain(root / "chain", port=demo._free_port())
    try:
        chain.ensure()
        federation = demo.build_federation(root, chain.url, "local", None)
        recorded, plain, update_gas, aggregate_gas = [], [], [], []
        same_model = True
        for _ in range(runs):
            r = demo.run_task(federation, RULE, rounds, byzantine=4, pool=1_000 * demo.TOKEN)
            p = demo.run_plain(federation, RULE, rounds, byzantine=4)
            recorded.append(r.seconds)
            plain.append(p.seconds)
            update_gas += r.update_gas
            aggregate_gas += r.aggregate_gas
            same_model &= all(np.array_equal(a, b) for a, b in zip(r.final, p.final, strict=True))
        rec, base = statistics.median(recorded), statistics.median(plain)
        return {
            "rule": RULE,
            "participants": 5,
            "rounds": rounds,
            "runs": runs,
            "recorded_seconds": {"min": min(recorded), "median": rec},
            "plain_seconds": {"min": min(plain), "median": base},
            "overhead_ratio": rec / base,
            "overhead_seconds_per_round": (rec - base) / rounds,
            "plain_seconds_per_round": base / rounds,
            "update_gas": max(update_gas),
            "aggregate_gas": max(aggregate_gas),
            "aggregate_gas_per_participant": max(aggregate_gas) // 5,
            "gas_per_participant_per_round": max(update_gas) + max(aggregate_gas) // 5,
            "same_model_as_plain": same_model,
            "accuracy_last_round": demo.accuracy(r.final, federation.test),
        }
    finally:
        chain.stop()
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    from bench.report import fl_text

    ap = bench_parser("python -m bench.fl", __doc__, runs=3)
    ap.add_argument("--rounds", type=int, default=5, help="federated rounds per run (default 5)")
    args = ap.parse_args(argv)
    at_least_one(ap, rounds=args.rounds, runs=args.runs)
    return emit_result(run(args.rounds, args.runs), args.json, fl_text)


if __name__ == "__main__":
    raise SystemExit(main())
