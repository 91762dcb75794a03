"""The access gateway under load, beside a plain static file server of the same bytes, in one run.

    python -m bench.gateway [--size-mib 100] [--clients 1,10,50] [--json]

A local Anvil on a free port, a real IPFS node (js-ipfs, as the tests use), the suite deployed, one
dataset of the given size registered by the owner, handed to a gateway (`aitrail gateway serve`, its
own process and home) and granted to 50 researchers (fresh keys that never send a transaction: SIWE
needs only a signature). For each client count N, one client process runs N threads, each signing in
as its own researcher and streaming the whole dataset (bytes counted, SHA-256 checked, then dropped);
the same client code then reads the same plaintext bytes from `python -m http.server` started beside
it. Total throughput is all bytes over the wall time of the N transfers. The gateway's peak RSS is its
VmHWM at the end (every transfer of every N behind it). A stranger's requests run during the largest
N: every one must be refused (403) with no data. Gas per recorded attempt is read from the receipts
of the transactions the gateway named in its responses.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from eth_typing import HexStr

from bench._cli import at_least_one, bench_parser, emit_result, result_of

OWNER, GATEWAY = "anvil1", "anvil3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer in {timeout:.0f} s")


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _login(url: str, key: str) -> str:
    """Sign in to the gateway at `url` as the account of `key` (SIWE); the session token."""
    from datetime import UTC, datetime, timedelta

    import requests
    from eth_account import Account

    from aitrail.gateway import siwe

    account = Account.from_key(key)
    offer = requests.get(f"{url}/siwe/nonce", timeout=30).json()
    now = datetime.now(UTC).replace(microsecond=0)
    message = siwe.SiweMessage(
        offer["domain"],
        account.address,
        siwe.STATEMENT,
        url,
        int(offer["chainId"]),
        offer["nonce"],
        now,
        now + timedelta(minutes=30),
    )
    body = {"message": message.text(), "signature": siwe.sign(message, account)}
    resp = requests.post(f"{url}/siwe/login", json=body, timeout=30)
    resp.raise_for_status()
    return str(resp.json()["token"])


# --- the client child ----------------------------------------------------------------------------


def _client(spec: dict[str, Any]) -> dict[str, Any]:
    """N threads, each streaming the whole file once; bytes and SHA-256 checked per transfer."""
    import requests


    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    tokens = []
    if spec["gateway"]:
        tokens = [_login(spec["url"], key) for key in spec["keys"]]
    barrier = threading.Barrier(len(spec["keys"]) + 1)

    def one(i: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[i]}"} if tokens else {}
        barrier.wait()
        digest = hashlib.sha256()
        got = 0
        with requests.get(spec["target"], headers=headers, stream=True, timeout=600) as resp:
            status = resp.status_code
            tx = resp.headers.get("X-Aitrail-Record-Tx")
            for chunk in resp.iter_content(1 << 20):
                digest.update(chunk)
                got += len(chunk)
        with lock:
            results.append({"status": status, "bytes": got, "sha256": digest.hexdigest(), "tx": tx})

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(spec["keys"]))]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return {"seconds": time.perf_counter() - t0, "transfers": results}


def _run_client(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.gateway", "--client"],
        cwd=Path(__file__).resolve().parents[1],  # where `python -m bench.gateway` is found
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    out = result_of(proc.stdout)
    if proc.returncode != 0 or out is None:
        raise RuntimeError(f"client failed: {proc.stderr.strip().splitlines()[-3:]}")
    return out


def _stranger_probe(
    url: str, key: str, dataset_id: int, stop: threading.Event, seen: list[tuple[int, int]]
) -> None:
    """Keep asking as a researcher with no grant; record (status, bytes) of every answer."""
    import requests

    token = None
    while not stop.is_set():
        try:
            if token is None:
                token = _login(url, key)
            resp = requests.get(
                f"{url}/datasets/{dataset_id}", headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            data_bytes = len(resp.content) if resp.status_code < 300 else 0
            seen.append((resp.status_code, data_bytes))
        except requests.RequestException:
            pass
        stop.wait(0.5)


# --- the run -------------------------------------------------------------------------------------


def run(size: int, counts: list[int]) -> dict[str, Any]:
    from eth_account import Account

    from aitrail import flows
    from aitrail.chain.local import LocalChain
    from aitrail.config import Settings
    from aitrail.flows.gateway import add_gateway, publish_gateway_key
    from aitrail.flows.session import Session
    from aitrail.storage.jsipfs import JsIpfsNode
    from bench.e2e import _write_file

    root = Path(tempfile.mkdtemp(prefix="aitrail-bench-gateway-"))
    owner_home, gw_home = root / "owner", root / "gateway"
    os.environ.update(
        {"AITRAIL_HOME": str(owner_home), "AITRAIL_LOCAL_PORT": str(_free_port()), "AITRAIL_NO_PROGRESS": "1"}
    )
    chain = LocalChain(owner_home)
    node = JsIpfsNode.start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        chain.ensure()
        settings = Settings.resolve(None, "local", owner_home)
        owner = Session.open(settings, OWNER, store="kubo", ipfs_api=node.api_url)
        flows.deploy_suite(owner)
        data = root / "data.bin"
        _write_file(data, size, 7)
        dataset_id = flows.register_dataset(owner, data, name="bench", license="CC-BY-4.0").dataset_id
        gw_home.mkdir()
        shutil.copytree(owner_home / "deployments", gw_home / "deployments")  # the address book only
        gateway = Session.open(
            Settings.resolve(chain.url, None, gw_home), GATEWAY, store="kubo", ipfs_api=node.api_url
        )
        publish_gateway_key(gateway)
        add_gateway(owner, dataset_id, gateway.address)
        researchers = [Account.create() for _ in range(max(counts))]
        for r in researchers:
            flows.grant_access(owner, dataset_id, r.address, 30)
        stranger = Account.create()

        port = _free_port()
        env = {
            **os.environ,
            "AITRAIL_HOME": str(gw_home),
            "AITRAIL_RPC_URL": chain.url,
            "AITRAIL_STORE": "kubo",
            "AITRAIL_IPFS_API": node.api_url,
            "AITRAIL_ACCOUNT": GATEWAY,
        }
        env.pop("AITRAIL_LOCAL_PORT", None)
        aitrail = str(Path(sys.executable).with_name("aitrail"))
        gw = subprocess.Popen(
            [
                aitrail,
                "gateway",
                "serve",
                "--port",
                str(port),
                "--rate",
                "1000",
                "--burst",
                "1000",
                "--streams",
                str(max(counts)),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(gw)
        gw_url = f"http://127.0.0.1:{port}"
        _wait_http(f"{gw_url}/siwe/nonce", gw)
        static_dir = root / "static"
        static_dir.mkdir()
        os.link(data, static_dir / "data.bin")
        sport = _free_port()
        static = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                str(sport),
                "--directory",
                str(static_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(static)
        _wait_http(f"http://127.0.0.1:{sport}/", static)
        expected = hashlib.sha256(data.read_bytes()).hexdigest()
        keys = ["0x" + bytes(r.key).hex() for r in researchers]
        # The first transfer pulls every block from the IPFS node into the gateway's block cache: measured
        # alone, as "cold"; the rows after it read the cache (the state of a gateway serving a dataset).
        cold = _run_client(
            {"gateway": True, "url": gw_url, "keys": keys[:1], "target": f"{gw_url}/datasets/{dataset_id}"}
        )
        rows = []
        txs: list[str] = [t["tx"] for t in cold["transfers"] if t["tx"]]
        probe: list[tuple[int, int]] = []
        for n in counts:
            stop = threading.Event()
            watcher = None
            if n == max(counts):
                watcher = threading.Thread(
                    target=_stranger_probe,
                    args=(gw_url, "0x" + bytes(stranger.key).hex(), dataset_id, stop, probe),
                )
                watcher.start()
            g = _run_client(
                {
                    "gateway": True,
                    "url": gw_url,
                    "keys": keys[:n],
                    "target": f"{gw_url}/datasets/{dataset_id}",
                }
            )
            stop.set()
            if watcher:
                watcher.join()
            s = _run_client(
                {
                    "gateway": False,
                    "url": "",
                    "keys": keys[:n],
                    "target": f"http://127.0.0.1:{sport}/data.bin",
                }
            )
            for side, res in (("gateway", g), ("static", s)):
                bad = [
                    t
                    for t in res["transfers"]
                    if t["status"] != 200 or t["bytes"] != size or t["sha256"] != expected
                ]
                if bad:
                    raise RuntimeError(f"{side} N={n}: {len(bad)} transfers incomplete or wrong: {bad[:2]}")
            txs += [t["tx"] for t in g["transfers"] if t["tx"]]
            gbps, sbps = n * size / g["seconds"], n * size / s["seconds"]
            rows.append(
                {
                    "clients": n,
                    "gateway_seconds": g["seconds"],
                    "static_seconds": s["seconds"],
                    "gateway_bytes_per_s": gbps,
                    "static_bytes_per_s": sbps,
                    "ratio": gbps / sbps,
                }
            )
        peak = _peak_rss(gw.pid)
        gas = sorted({int(owner.w3.eth.get_transaction_receipt(HexStr(tx))["gasUsed"]) for tx in txs})
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=30)
        node.stop()
        chain.stop()
        shutil.rmtree(root, ignore_errors=True)
    return {
        "size_bytes": size,
        "cold_bytes_per_s": size / cold["seconds"],
        "rows": rows,
        "gateway_peak_rss_bytes": peak,
        "gas_per_recorded_attempt": {"min": gas[0], "max": gas[-1]} if gas else None,
        "stranger_requests": len(probe),
        "stranger_served": sum(1 for status, got in probe if status < 300 or got),
        "anchors": {"Ocean startOrder": 135_048, "event only": 23_736},
    }


def main(argv: list[str] | None = None) -> int:
    from bench.report import gateway_text

    ap = bench_parser("python -m bench.gateway", __doc__, size_mib=100)
    ap.add_argument("--clients", default="1,10,50", help="client counts, comma-separated")
    ap.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.client:
        return emit_result(_client(json.loads(sys.stdin.read())), True, str)
    counts = [int(c) for c in args.clients.split(",") if c.strip()]
    at_least_one(ap, size_mib=args.size_mib, clients=min(counts, default=0))
    return emit_result(run(args.size_mib << 20, counts), args.json, gateway_text)


if __name__ == "__main__":
    raise SystemExit(main())
