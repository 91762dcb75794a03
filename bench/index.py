"""The event index at trail sizes of 1 to 100,000 events, beside today's full re-scan, in one run.

    python -m bench.index [--sizes 1,100,10000,100000] [--json]

For each size N: a fresh AITRAIL_HOME, the embedded Anvil on a free port, the suite deployed and one dataset
registered (whole `aitrail` processes), then N events on that dataset, half grants (grantAccessBatch, 100
per transaction) and half self-reported attempts (contracts/test/TestAccessLogBurst.sol, up to 2,000 per
transaction): sending them one transaction each would take longer than everything measured. Then:

  raw getLogs    the eth_getLogs calls a sync makes (same ranges, same adaptive reader), nothing stored:
                 the anchor of the first sync
  first sync     `aitrail index sync` from nothing: whole process, and the sync's own time inside it
  audit          `aitrail audit dataset 1 --json` on the synced index (its sync finds nothing new)
  incr. sync     `aitrail index sync` after 100 new events
  incr. audit    `aitrail audit dataset 1 --json` after 100 more: sync and audit, whole process; the
                 text table (`aitrail audit dataset 1`, the newest 50 rows and the counts) after 100
                 more; and the same in one process (library: dataset_trail), without start-up
  full re-scan   the audit as it was before the index (every event query an eth_getLogs from the
                 deployment block), in one process: the anchor of both audits
  start-up       `aitrail index status`, a whole process that opens the chain and the index only: the
                 floor under every whole-process figure; and `python -c pass`, the interpreter's own

The package is byte-compiled first (as an installed one is): with PYTHONDONTWRITEBYTECODE set, as `make`
sets it, every process would otherwise compile aitrail's sources again.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from bench._cli import bench_parser, emit_result

ROOT = Path(__file__).resolve().parents[1]
BURST_ARTIFACT = ROOT / "build" / "contracts" / "TestAccessLogBurst.json"
OWNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil1, unlocked on the embedded Anvil
SENDER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil0
BURST_PER_TX = 2_000
GRANTS_PER_TX = 100


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Chain:
    def __init__(self, url: str) -> None:
        self.url, self.http = url, requests.Session()

    def call(self, method: str, params: list[Any]) -> Any:
        answer = self.http.post(
            self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=300
        ).json()
        if "error" in answer:
            raise SystemExit(f"error: {method}: {answer['error']}")
        return answer["result"]

    def send(self, sender: str, to: str | None, data: str) -> dict[str, Any]:
        tx: dict[str, Any] = {"from": sender, "data": data, "gas": hex(29_000_000)}
        if to:
            tx["to"] = to
        digest = self.call("eth_sendTransaction", [tx])
        receipt: dict[str, Any] | None = None
        for _ in range(600):  # automined, but the receipt may trail the hash by a moment
            receipt = self.call("eth_getTransactionReceipt", [digest])
            if receipt is not None:
                break
            time.sleep(0.01)
        if receipt is None or receipt["status"] != "0x1":
            raise SystemExit(f"error: bench transaction failed: {receipt}")
        return receipt


def _cli(env: dict[str, str], *args: str, json_output: bool = True) -> tuple[dict[str, Any] | None, float]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("aitrail")), *(["--json"] if json_output else []), *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=env["AITRAIL_HOME"],
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"error: aitrail {' '.join(args)}: {proc.stderr.strip()[-500:]}")
    out = proc.stdout.strip()
    return (json.loads(out) if json_output and out.startswith("{") else None), seconds


def _python_wall(env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    return time.perf_counter() - t0


def _child(env: dict[str, str], code: str) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=env["AITRAIL_HOME"]
    )
    if proc.returncode != 0:
        raise SystemExit(f"error: bench child failed: {proc.stderr.strip()[-800:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


LIBRARY_AUDIT = """
import json, time
from aitrail.config import Settings
from aitrail.flows import Session, dataset_trail
s = Session.open(Settings.resolve(None, None))
s.suite
t0 = time.perf_counter(); r = dataset_trail(s, 1); t = time.perf_counter() - t0
print(json.dumps({"seconds": t, "rows": len(r["trail"]), "strangers": r["strangerAttempts"]["attempts"]}))
"""

RESCAN_AUDIT = """
import json, time
from aitrail.config import Settings
from aitrail.flows import Session
from aitrail.flows.audit import _dataset_trail
s = Session.open(Settings.resolve(None, None))
s.suite
t0 = time.perf_counter(); r = _dataset_trail(s, 1); t = time.perf_counter() - t0
print(json.dumps({"seconds": t, "rows": len(r["trail"]), "strangers": r["strangerAttempts"]["attempts"]}))
"""

RAW_GETLOGS = """
import json, time
from aitrail.config import Settings
from aitrail.flows import Session
from aitrail.index.logs import AdaptiveLogReader
from aitrail.index.sync import raw_request
s = Session.open(Settings.resolve(None, None))
book = s.book.load(s.chain_id)
addresses = [v for v in book.values() if str(v).startswith("0x")]
head = s.w3.eth.block_number
reader = AdaptiveLogReader(raw_request(s))
t0 = time.perf_counter()
n = sum(len(c.logs) for c in reader.chunks(addresses, int(book["deployedAtBlock"]), head))
print(json.dumps({"seconds": time.perf_counter() - t0, "logs": n, "calls": reader.calls}))
"""


def _events(chain: _Chain, registry: str, burst: str, count: int, salt: int) -> None:
    """`count` new events on dataset 1: half grants to fresh addresses, half denied attempts."""
    grants, attempts = count // 2, count - count // 2
    selector_batch = "0x" + _selector("grantAccessBatch(uint256,address[],uint64,bytes32[])")
    done = 0
    while done < grants:
        size = min(GRANTS_PER_TX, grants - done)
        grantees = [(salt << 40) + done + i + 1 for i in range(size)]
        chain.send(OWNER, registry, selector_batch + _encode_batch(grantees))
        done += size
    selector_burst = "0x" + _selector("burst(address,uint256,uint256)")
    while attempts > 0:
        size = min(BURST_PER_TX, attempts)
        chain.send(SENDER, burst, selector_burst + _word(int(registry, 16)) + _word(1) + _word(size))
        attempts -= size


def _selector(signature: str) -> str:
    from eth_utils.crypto import keccak

    return keccak(text=signature)[:4].hex()


def _word(value: int) -> str:
    return value.to_bytes(32, "big").hex()


def _encode_batch(grantees: list[int]) -> str:
    """(1, grantees, 30 days, zero key refs), ABI-encoded by hand: two dynamic arrays."""
    head_size = 4 * 32
    addresses = _word(len(grantees)) + "".join(_word(a) for a in grantees)
    refs = _word(len(grantees)) + "".join(_word(0) for _ in grantees)
    offset_refs = head_size + len(addresses) // 2
    return _word(1) + _word(head_size) + _word(30 * 86_400) + _word(offset_refs) + addresses + refs


def run_size(n: int, env_base: dict[str, str]) -> dict[str, Any]:
    from aitrail.chain.local import LocalChain

    with tempfile.TemporaryDirectory(prefix="aitrail-bench-index-") as tmp:
        home = Path(tmp)
        port = _free_port()
        env = {
            **env_base,
            "AITRAIL_HOME": str(home),
            "AITRAIL_LOCAL_PORT": str(port),
            "AITRAIL_NO_PROGRESS": "1",
        }
        try:
            _cli(env, "deploy")
            (home / "d.csv").write_text("id,age\np1,54\np2,61\n")
            _cli(
                env,
                "--account",
                "anvil1",
                "dataset",
                "register",
                "d.csv",
                "--name",
                "bench",
                "--license",
                "CC0",
            )
            chain = _Chain(f"http://127.0.0.1:{port}")
            book = json.loads(next((home / "deployments").glob("*.json")).read_text())
            registry = book["DatasetRegistry"]
            artifact = json.loads(BURST_ARTIFACT.read_text())
            code = (
                artifact["bytecode"] if artifact["bytecode"].startswith("0x") else "0x" + artifact["bytecode"]
            )
            burst = chain.send(SENDER, None, code)["contractAddress"]
            t0 = time.perf_counter()
            _events(chain, registry, burst, max(0, n - 1), salt=1)  # + the registration itself
            generate = time.perf_counter() - t0
            raw = _child(env, RAW_GETLOGS)
            first, first_wall = _cli(env, "index", "sync")
            assert first is not None
            audit, audit_wall = _cli(env, "audit", "dataset", "1")
            _events(chain, registry, burst, 100, salt=2)
            incr, incr_wall = _cli(env, "index", "sync")
            assert incr is not None
            _events(chain, registry, burst, 100, salt=3)
            incr_audit, incr_audit_wall = _cli(env, "audit", "dataset", "1")
            assert incr_audit is not None
            _events(chain, registry, burst, 100, salt=5)
            _, incr_text_wall = _cli(env, "audit", "dataset", "1", json_output=False)
            _events(chain, registry, burst, 100, salt=4)
            library = _child(env, LIBRARY_AUDIT)
            rescan = _child(env, RESCAN_AUDIT)
            _, startup_wall = _cli(env, "index", "status")
            python_wall = _python_wall(env)
            return {
                "events": n,
                "generate_seconds": generate,
                "logs_indexed": first["totalLogs"],
                "raw_getlogs_seconds": raw["seconds"],
                "raw_getlogs_calls": raw["calls"],
                "first_sync_seconds": first["seconds"],
                "first_sync_wall": first_wall,
                "first_sync_calls": first["getLogsCalls"],
                "audit_wall": audit_wall,
                "audit_rows": len(audit["trail"]) if audit else None,
                "incremental_sync_wall": incr_wall,
                "incremental_sync_seconds": incr["seconds"],
                "incremental_sync_new": incr["newLogs"],
                "incremental_audit_wall": incr_audit_wall,
                "incremental_audit_rows": len(incr_audit["trail"]),
                "incremental_audit_text_wall": incr_text_wall,
                "incremental_audit_library_seconds": library["seconds"],
                "rescan_library_seconds": rescan["seconds"],
                "rescan_rows": rescan["rows"],
                "library_rows": library["rows"],
                "same_trail_size": rescan["rows"] == library["rows"]
                and rescan["strangers"] == library["strangers"],
                "startup_wall": startup_wall,
                "python_wall": python_wall,
            }
        finally:
            LocalChain(home, port=port).stop()


def run(sizes: list[int]) -> dict[str, Any]:
    import compileall

    compileall.compile_dir(str(ROOT / "aitrail"), quiet=1)
    if not BURST_ARTIFACT.is_file():
        subprocess.run(
            [str(Path(sys.executable).with_name("brownie")), "compile"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    env = dict(os.environ)
    for var in [
        v for v in env if v.startswith("AITRAIL_PASSWORD") or v in ("AITRAIL_ACCOUNT", "AITRAIL_RPC_URL")
    ]:
        env.pop(var)
    rows = []
    for n in sizes:
        rows.append(run_size(n, env))
        print(f"  {n:,} events done", file=sys.stderr, flush=True)
    return {"rows": rows}


def main(argv: list[str] | None = None) -> int:
    from bench import report

    ap = bench_parser("python -m bench.index", __doc__)
    ap.add_argument("--sizes", default="1,100,10000,100000", help="trail sizes in events, comma-separated")
    args = ap.parse_args(argv)
    return emit_result(run([int(s) for s in args.sizes.split(",") if s]), args.json, report.index_text)


if __name__ == "__main__":
    raise SystemExit(main())
