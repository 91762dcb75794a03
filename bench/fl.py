"""Federated training: gas per participant per round and the wall-time overhead of recording.

    python -m bench.fl [--rounds 5] [--runs 3] [--deployment-rounds 2] [--deployment-runs 2] [--json]

A fresh Anvil on a free 127.0.0.1 port, the suite deployed, five hospitals registered in their own homes
(aitrail.fl.demo), the embedded store shared by the homes. Each run trains the same federation (MultiKrum
f=1 keep=4, hospital 5 Byzantine) twice from the same initial weights: once recorded (RecordingClient +
RecordingStrategy: every update encrypted, stored and committed, every aggregate checked, stored and
committed) and once under plain Flower (the same Flower strategy and clients, nothing recorded), in the
same process, alternating. The anchor is the plain run: overhead = recorded / plain, and the extra
seconds per round. Gas comes from the recorded runs' receipts (a 1,000 TRAIL pool, so aggregates
credit rewards).

Deployment engine (`--deployment-runs` > 0): on the same chain, a `flower-superlink` and a
`flower-supernode` per hospital (processes on 127.0.0.1, the hospitals' agents in this process, the
hospitals' homes holding their splits); each run is `flwr run` of the recorded app (a fresh task) and then
of the plain app (Flower's strategy and the bare hospitals on the same SuperNodes), alternating. Each time
is the whole `flwr run` (submission, the ServerApp's process, every round's ClientApp processes). The
anchor is the plain run on the same engine; the in-process recorded run above is the second anchor
(deployment / in-process, per round). These runs use the js-ipfs node when it starts (the SuperNodes'
ClientApps are separate processes and cannot share the embedded store of this one).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
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
            # what a task pays per participant per round, over all its rounds: the last round's aggregate
            # also reserves the final model's digest (~30k once per task), so the worst round is shown apart
            "gas_per_participant_per_round": round(
                statistics.mean(update_gas) + statistics.mean(aggregate_gas) / 5
            ),
            "gas_per_participant_worst_round": max(update_gas) + max(aggregate_gas) // 5,
            "same_model_as_plain": same_model,
            "accuracy_last_round": demo.accuracy(r.final, federation.test),
        }
    finally:
        chain.stop()
        shutil.rmtree(root, ignore_errors=True)


def run_deployment(rounds: int, runs: int, inprocess_per_round: float) -> dict[str, Any]:
    from aitrail.chain.local import LocalChain
    from aitrail.fl import demo, deployment
    from aitrail.storage.jsipfs import JsIpfsNode

    root = Path(tempfile.mkdtemp(prefix="aitrail-bench-fl-deploy-"))
    chain = LocalChain(root / "chain", port=demo._free_port())
    node = JsIpfsNode.start()
    link = None
    nodes: list[Any] = []
    try:
        chain.ensure()
        federation = demo.build_federation(root, chain.url, "kubo", node.api_url, keep_data=True)
        started = time.perf_counter()
        link = deployment.SuperLink.start(root / "superlink")
        nodes = deployment.SuperNode.start_many(
            federation.hospitals, link.address, federation.data, byzantine=4
        )
        start_seconds = time.perf_counter() - started
        recorded, plain, excluded_ok = [], [], True
        for _ in range(runs):
            r = demo.run_task_deployed(federation, link.address, RULE, rounds)
            recorded.append(r.seconds)
            excluded_ok &= r.excluded == [[5]] * rounds
            plain.append(deployment.run_plain(link.address, RULE, rounds, 5))
        rec, base = statistics.median(recorded), statistics.median(plain)
        return {
            "rounds": rounds,
            "runs": runs,
            "start_seconds": start_seconds,
            "recorded_seconds": {"min": min(recorded), "median": rec},
            "plain_seconds": {"min": min(plain), "median": base},
            "overhead_ratio": rec / base,
            "overhead_seconds_per_round": (rec - base) / rounds,
            "recorded_seconds_per_round": rec / rounds,
            "plain_seconds_per_round": base / rounds,
            "vs_inprocess_ratio": (rec / rounds) / inprocess_per_round,
            "byzantine_excluded_every_round": excluded_ok,
        }
    finally:
        for each in nodes:
            each.stop()
        if link is not None:
            link.stop()
        node.stop()
        chain.stop()
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    from bench.report import fl_text

    ap = bench_parser("python -m bench.fl", __doc__, runs=3)
    ap.add_argument("--rounds", type=int, default=5, help="federated rounds per run (default 5)")
    ap.add_argument("--deployment-rounds", type=int, default=2,
                    help="rounds per run on Flower's deployment engine (default 2)")
    ap.add_argument("--deployment-runs", type=int, default=2,
                    help="runs on the deployment engine; 0 leaves it out (default 2)")
    args = ap.parse_args(argv)
    at_least_one(ap, rounds=args.rounds, runs=args.runs, deployment_rounds=args.deployment_rounds)
    result = run(args.rounds, args.runs)
    if args.deployment_runs > 0:
        per_round = result["recorded_seconds"]["median"] / result["rounds"]
        result["deployment"] = run_deployment(args.deployment_rounds, args.deployment_runs, per_round)
    return emit_result(result, args.json, fl_text)


if __name__ == "__main__":
    raise SystemExit(main())
