"""A coordinator as a whole process, for the crash tests: runs (or resumes) task TASK of the federation
whose homes are under ROOT with the in-process engine, and can SIGKILL itself at a chosen point (fault
injection: the point is exact, the kill is a real SIGKILL of this process).

    python tests/fl/coordinator_process.py ROOT RPC_URL IPFS_API TASK RULE ROUNDS [--crash POINT]

POINT: `aggregate-R` (right after round R's aggregate is committed) or `updates-R` (once every update of
round R is committed, before the aggregate). Prints the final aggregate's arrays as JSON when it completes.
"""

import argparse
import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aitrail import flows
from aitrail.config import Settings
from aitrail.fl import demo
from aitrail.fl.recording import RecordingStrategy

HOSPITALS = 5


def open_federation(root: Path, rpc_url: str, ipfs_api: str) -> demo.Federation:
    """The federation demo.build_federation left under `root`: the same homes and accounts, the same
    splits (seeded), nothing registered again."""
    coordinator = flows.Session.open(
        Settings.resolve(rpc_url, None, root / "coordinator"), "anvil0", store="kubo", ipfs_api=ipfs_api
    )
    hospitals = [
        flows.Session.open(
            Settings.resolve(rpc_url, None, root / f"hospital{i}"),
            f"anvil{i}",
            store="kubo",
            ipfs_api=ipfs_api,
        )
        for i in range(1, HOSPITALS + 1)
    ]
    parts, test = demo.splits(HOSPITALS)
    return demo.Federation(coordinator, hospitals, [], 0, parts, test, coordinator.store)


def crashing(point: str) -> type[RecordingStrategy]:
    kind, _, at = point.partition("-")

    class Crashing(RecordingStrategy):
        def aggregate_fit(self, server_round, results, failures):
            if kind == "updates" and self.offset + server_round == int(at):
                os.kill(os.getpid(), signal.SIGKILL)  # every update of the round is on-chain by now
            out = super().aggregate_fit(server_round, results, failures)
            if kind == "aggregate" and self.offset + server_round == int(at):
                os.kill(os.getpid(), signal.SIGKILL)
            return out

    return Crashing


def main() -> None:
    ap = argparse.ArgumentParser()
    for name in ("root", "rpc", "ipfs", "task", "rule", "rounds"):
        ap.add_argument(name)
    ap.add_argument("--crash")
    args = ap.parse_args()
    federation = open_federation(Path(args.root), args.rpc, args.ipfs)
    strategy = crashing(args.crash) if args.crash else RecordingStrategy
    run = demo.run_task(
        federation, args.rule, int(args.rounds), byzantine=4, task_id=int(args.task), strategy_class=strategy
    )
    print(json.dumps([a.tolist() for a in run.final]))


if __name__ == "__main__":
    main()
