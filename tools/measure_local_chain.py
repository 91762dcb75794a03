"""Figures for the embedded chain (issue 17): start time cold (new home) and warm (saved state of a
deployed suite plus N transfers), and the cost of the checkpoint the CLI makes before printing success.

Usage: PATH=$PWD/node_modules/.bin:$PATH .venv/bin/python tools/measure_local_chain.py [N_TRANSFERS]
Prints medians (min, max) in ms; it measures, it asserts nothing.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aitrail import flows
from aitrail._net import free_port
from aitrail.chain.local import LocalChain
from aitrail.config import Settings
from aitrail.flows import Session
from aitrail.flows._common import TOKEN

RUNS = 5


def seconds(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):.0f} ms (min {min(ms):.0f}, max {max(ms):.0f}, n={len(ms)})"


def main(transfers: int) -> None:
    cold = []
    for _ in range(RUNS):
        chain = LocalChain(Path(tempfile.mkdtemp()), port=free_port())
        cold.append(seconds(chain.ensure))
        chain.stop()
    home = Path(tempfile.mkdtemp())
    port = free_port()
    os.environ["AITRAIL_HOME"], os.environ["AITRAIL_LOCAL_PORT"] = str(home), str(port)
    chain = LocalChain(home, port=port)
    chain.ensure()
    session = Session.open(Settings.resolve(None, "local", home), "anvil0")
    flows.deploy_suite(session, flows.DeployParams(treasury=10_000 * TOKEN))
    for _ in range(transfers):
        session.sender.transfer("0x" + "42" * 20, 1, "filler")
    changed, unchanged = [], []
    for _ in range(RUNS * 2):
        session.sender.transfer("0x" + "42" * 20, 1, "filler")
        changed.append(seconds(chain.checkpoint))
        unchanged.append(seconds(chain.checkpoint))
    blocks = session.w3.eth.block_number
    chain.stop()
    warm = []
    for _ in range(RUNS):
        warm.append(seconds(chain.ensure))
        chain.stop()
    print(f"{blocks} blocks, saved state {chain.state_file.stat().st_size:,} bytes")
    print("cold start                ", summary(cold))
    print("warm start                ", summary(warm))
    print("checkpoint after a change ", summary(changed))
    print("checkpoint, nothing new   ", summary(unchanged))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
