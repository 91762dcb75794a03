"""Register and fetch as whole CLI processes, beside the floor of the same bytes, with peak memory.

    python -m bench.stream [--size-mib 1024] [--runs 2] [--json]

A fresh AITRAIL_HOME in a temporary folder, the embedded chain on a free 127.0.0.1 port (stopped at the
end), the suite deployed, the embedded store. Each run writes a new file of the given size (page cache
warmed), then times three whole processes, each reporting its own peak RSS (VmHWM):

- floor: one pass over the file that hashes it (SHA-256), encrypts it (AES-256-GCM, 1 MiB segments) and
  writes the ciphertext once (fsynced): the least work any register or fetch of these bytes must do;
- `aitrail dataset register FILE` as the owner: hash, encrypt, import into the store, commit and reveal;
- `aitrail dataset fetch ID` as a granted researcher: access logged on-chain, every block re-hashed,
  decrypted, SHA-256 checked against the chain, fsynced and renamed into place.

The register's commit-reveal wait (the registry's delay, on a development chain mined on demand) is
part of what a user waits for and is included; its transactions are measured apart by the e2e section.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bench.cid import _PEAK, _make_file, _warm
from bench.startup import _CLI, _once

# The floor: hashlib and the same AEAD as aitrail.crypto, one pass, the output written once.
_FLOOR = _PEAK + """
import hashlib, os, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
aead = AESGCM(os.urandom(32))
digest = hashlib.sha256()
buf = bytearray(1 << 20)
with open(sys.argv[1], "rb", buffering=0) as src, open(sys.argv[2], "wb") as out:
    index = 0
    while n := src.readinto(buf):
        view = memoryview(buf)[:n]
        digest.update(view)
        out.write(aead.encrypt(index.to_bytes(12, "big"), view, None))
        index += 1
    out.flush()
    os.fsync(out.fileno())
print("PEAK", peak(), file=sys.stderr)
"""

OWNER, RESEARCHER = "anvil1", "anvil2"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(account: str | None, *args: str) -> tuple[float, int]:
    """One whole `aitrail --json ARGS` process as `account`: (wall seconds, peak RSS bytes)."""
    if account:
        os.environ["AITRAIL_ACCOUNT"] = account
    else:
        os.environ.pop("AITRAIL_ACCOUNT", None)
    return _once(_CLI, "--json", *args)


def _series(samples: list[tuple[float, int]]) -> dict[str, float]:
    walls = sorted(s[0] for s in samples)
    return {"seconds_min": walls[0], "seconds_median": walls[len(walls) // 2],
            "peak_rss_mib": max(s[1] for s in samples) / 2**20, "runs": len(samples)}


def run(size: int, runs: int) -> dict[str, Any]:
    from aitrail.chain.local import LocalChain

    saved = dict(os.environ)
    home = Path(tempfile.mkdtemp(prefix="aitrail-bench-stream-"))
    os.environ.update(AITRAIL_HOME=str(home), AITRAIL_LOCAL_PORT=str(_free_port()), AITRAIL_NO_PROGRESS="1")
    work = home / "work"
    work.mkdir()
    floor: list[tuple[float, int]] = []
    register: list[tuple[float, int]] = []
    fetch: list[tuple[float, int]] = []
    try:
        _cli(None, "deploy")
        for i in range(runs):
            data = work / f"data-{i}.bin"
            _make_file(data, size)
            _warm(data)
            floor.append(_once(_FLOOR, str(data), str(work / "floor.out")))
            (work / "floor.out").unlink()
            register.append(_cli(OWNER, "dataset", "register", str(data), "--name", f"bench {i}",
                                 "--license", "CC0"))
            dataset_id = str(i + 1)
            _cli(RESEARCHER, "access", "request", dataset_id, "--purpose", "bench")
            _cli(OWNER, "access", "grant", dataset_id, RESEARCHER)
            out = work / f"fetched-{i}"
            fetch.append(_cli(RESEARCHER, "dataset", "fetch", dataset_id, "-o", str(out)))
            fetched = [p for p in out.rglob("*") if p.is_file()]
            if [p.stat().st_size for p in fetched] != [size]:
                raise RuntimeError(f"fetched {[p.stat().st_size for p in fetched]} bytes, registered {size}")
            shutil.rmtree(out)
            data.unlink()
    finally:
        LocalChain(home).stop()
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(home, ignore_errors=True)
    res: dict[str, Any] = {"size_bytes": size, "runs": runs, "floor": _series(floor),
                           "register": _series(register), "fetch": _series(fetch)}
    for name in ("register", "fetch"):
        res[name]["vs_floor"] = res[name]["seconds_min"] / res["floor"]["seconds_min"]
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.stream", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mib", type=int, default=1024, help="file size in MiB (default 1024)")
    ap.add_argument("--runs", type=int, default=2, help="runs (min and median reported)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = ap.parse_args(argv)
    if args.size_mib < 1 or args.runs < 1:
        ap.error("--size-mib and --runs must be at least 1")
    res = run(args.size_mib << 20, args.runs)
    if args.json:
        print("RESULT-JSON " + json.dumps(res, sort_keys=True))
        return 0
    from bench.report import stream_text

    print(stream_text(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
