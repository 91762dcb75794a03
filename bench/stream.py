"""Register and fetch as whole CLI processes, beside the floor of the same bytes, with peak memory.

    python -m bench.stream [--size-mib 1024] [--runs 5] [--json]

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

On a loaded machine the floor itself moves by 2x between minutes, so a ratio is only taken between
neighbours: the floor is measured right before each register and right before each fetch, each run gives
one ratio per side, and the figure is the median of those ratios (with their min and max), never a best
register over a best floor from another minute.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench._cli import at_least_one, bench_parser, emit_result
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
    walls = [s[0] for s in samples]
    return {"seconds_min": min(walls), "seconds_median": statistics.median(walls),
            "peak_rss_mib": max(s[1] for s in samples) / 2**20, "runs": len(samples)}


def _floor(data: Path, out: Path) -> tuple[float, int]:
    sample = _once(_FLOOR, str(data), str(out))
    out.unlink()
    return sample


def _ratios(side: list[tuple[float, int]], floors: list[tuple[float, int]]) -> dict[str, Any]:
    """Each run's side over the floor measured just before it: median (the figure), min and max."""
    ratios = [s[0] / f[0] for s, f in zip(side, floors, strict=True)]
    return {"vs_floor": statistics.median(ratios), "vs_floor_min": min(ratios), "vs_floor_max": max(ratios),
            "ratios": ratios}


def run(size: int, runs: int) -> dict[str, Any]:
    from aitrail.chain.local import LocalChain

    saved = dict(os.environ)
    home = Path(tempfile.mkdtemp(prefix="aitrail-bench-stream-"))
    os.environ.update(AITRAIL_HOME=str(home), AITRAIL_LOCAL_PORT=str(_free_port()), AITRAIL_NO_PROGRESS="1")
    work = home / "work"
    work.mkdir()
    floor_register: list[tuple[float, int]] = []  # the floor right before each register
    floor_fetch: list[tuple[float, int]] = []  # and right before each fetch
    register: list[tuple[float, int]] = []
    fetch: list[tuple[float, int]] = []
    try:
        _cli(None, "deploy")
        for i in range(runs):
            data = work / f"data-{i}.bin"
            _make_file(data, size)
            _warm(data)
            floor_register.append(_floor(data, work / "floor.out"))
            register.append(_cli(OWNER, "dataset", "register", str(data), "--name", f"bench {i}",
                                 "--license", "CC0"))
            dataset_id = str(i + 1)
            _cli(RESEARCHER, "access", "request", dataset_id, "--purpose", "bench")
            _cli(OWNER, "access", "grant", dataset_id, RESEARCHER)
            out = work / f"fetched-{i}"
            floor_fetch.append(_floor(data, work / "floor.out"))
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
    return {"size_bytes": size, "runs": runs, "floor": _series(floor_register + floor_fetch),
            "register": {**_series(register), **_ratios(register, floor_register)},
            "fetch": {**_series(fetch), **_ratios(fetch, floor_fetch)}}


def main(argv: list[str] | None = None) -> int:
    from bench.report import stream_text

    ap = bench_parser("python -m bench.stream", __doc__, size_mib=1024, runs=5,
                      runs_help="runs (a ratio to the floor beside it per run; median, min and max reported)")
    args = ap.parse_args(argv)
    at_least_one(ap, size_mib=args.size_mib, runs=args.runs)
    return emit_result(run(args.size_mib << 20, args.runs), args.json, stream_text)


if __name__ == "__main__":
    raise SystemExit(main())
