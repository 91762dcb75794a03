"""End-to-end latency of the SDK flows on a local Anvil, beside the floor of the same work.

    python -m bench.e2e [--size-mib 100] [--runs 3] [--json]

A fresh AITRAIL_HOME in a temporary folder, an Anvil started on a free 127.0.0.1 port (the embedded
default, aitrail.chain.local) and stopped at the end, the suite deployed, the embedded store. Each run
times, through aitrail.flows: registering a new file of the given size (hash, encrypt, CID, store,
register transaction), granting a researcher (key wrapped for the researcher, grant transaction),
the researcher's fetch (access logged on-chain, read, decrypt, SHA-256 checked against the chain), and
publishing a model citing the dataset. The floor beside them is measured in the same run: SHA-256 of
the same file (hashlib, 256 KiB reads) and a plain ETH transfer to the same chain (send to receipt).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from bench._cli import at_least_one, bench_parser, emit_result

T = TypeVar("T")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timed(fn: Callable[[], T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def _stats(xs: list[float]) -> dict[str, Any]:
    return {"min": min(xs), "median": statistics.median(xs), "runs": len(xs)}


def _sha256_seconds(path: Path) -> float:
    t0 = time.perf_counter()
    h = hashlib.sha256()
    buf = bytearray(262144)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(memoryview(buf)[:n])
    return time.perf_counter() - t0


def _write_file(path: Path, size: int, seed: int) -> None:
    piece = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for i in range(0, size, len(piece)):
            block = (seed.to_bytes(4, "big") + i.to_bytes(8, "big") + piece[12:])[: min(len(piece), size - i)]
            f.write(block)


def _one_run(flows: Any, owner: Any, researcher: Any, data: Path, work: Path, i: int) -> dict[str, float]:
    """Register `data`, grant the researcher, fetch and verify it as the researcher, publish a model."""
    spent: dict[str, float] = {}
    size = data.stat().st_size
    reg, spent["register"] = _timed(
        lambda: flows.register_dataset(owner, data, name=f"bench {i}", license="CC-BY-4.0")
    )
    flows.request_access(researcher, reg.dataset_id, "bench", 30)
    _, spent["grant"] = _timed(lambda: flows.grant_access(owner, reg.dataset_id, researcher.address))
    out = work / f"fetched-{i}"
    got, spent["fetch_verify"] = _timed(lambda: flows.fetch_dataset(researcher, reg.dataset_id, out))
    if got.size != size:
        raise RuntimeError(f"fetched {got.size} bytes, registered {size}")
    model = work / f"model-{i}"
    model.mkdir()
    (model / "weights.bin").write_bytes(os.urandom(1 << 20))
    (model / "config.json").write_text(json.dumps({"run": i}))
    _, spent["publish_model"] = _timed(
        lambda: flows.publish_model(researcher, f"bench-model-{i}", model, [reg.dataset_id])
    )
    shutil.rmtree(out)
    return spent


def run(size: int, runs: int) -> dict[str, Any]:
    from aitrail import flows
    from aitrail.chain.local import LocalChain
    from aitrail.config import Settings
    from aitrail.flows import Session
    from aitrail.flows._common import TOKEN

    home = Path(tempfile.mkdtemp(prefix="aitrail-bench-e2e-"))
    os.environ["AITRAIL_HOME"] = str(home)
    os.environ["AITRAIL_LOCAL_PORT"] = str(_free_port())
    os.environ["AITRAIL_NO_PROGRESS"] = "1"
    chain = LocalChain(home)
    times: dict[str, list[float]] = {k: [] for k in ("register", "grant", "fetch_verify", "publish_model")}
    floor_sha: list[float] = []
    floor_tx: list[float] = []
    try:
        settings = Settings.resolve(None, "local", home)
        (_, startup) = _timed(chain.ensure)
        fund = Session.open(settings, "anvil0")
        _, deploy = _timed(lambda: flows.deploy_suite(fund, flows.DeployParams(treasury=10_000 * TOKEN)))
        owner = Session.open(settings, "anvil1")
        researcher = Session.open(settings, "anvil2")
        work = home / "work"
        work.mkdir()
        for i in range(runs):
            data = work / f"data-{i}.bin"
            _write_file(data, size, i)
            floor_sha.append(_sha256_seconds(data))
            floor_tx.append(_timed(lambda: fund.sender.transfer(researcher.address, 1, "bench floor"))[1])
            for key, seconds in _one_run(flows, owner, researcher, data, work, i).items():
                times[key].append(seconds)
            data.unlink()
    finally:
        chain.stop()
        shutil.rmtree(home, ignore_errors=True)
    return {
        "size_bytes": size,
        "runs": runs,
        "chain_startup_seconds": startup,
        "deploy_suite_seconds": deploy,
        "seconds": {k: _stats(v) for k, v in times.items()},
        "floor": {"sha256_seconds": _stats(floor_sha), "plain_transfer_seconds": _stats(floor_tx)},
    }


def main(argv: list[str] | None = None) -> int:
    from bench.report import e2e_text

    ap = bench_parser("python -m bench.e2e", __doc__, size_mib=100, runs=3)
    args = ap.parse_args(argv)
    at_least_one(ap, size_mib=args.size_mib, runs=args.runs)
    return emit_result(run(args.size_mib << 20, args.runs), args.json, lambda res: e2e_text(res, None))


if __name__ == "__main__":
    raise SystemExit(main())
