"""Merkle benchmark: tree + all proofs for N records, aitrail vs npm @openzeppelin/merkle-tree, same run.

    python -m bench.merkle [--records 1000000] [--npm-proofs all|sample|none] [--json]

Both sides get the same N synthetic records (`(bytes32 key, bytes32 sha256, uint8 consent)`, the
record leaf of aitrail.records) from one file and run as child processes, so each one's peak memory is
its own `ru_maxrss` (os.wait4). Timed on both sides: building the tree from the values (leaf hashes,
sort, inner nodes) and producing every proof; reading the input and hashing the proofs into the
comparison digest are not timed.

Checked: identical roots; with `--npm-proofs all`, the SHA-256 of all proofs concatenated in leaf
order (descending treeIndex, the order aitrail's all_proofs yields) is identical, so every proof is;
in every mode, a sample of proofs is compared one by one.
With `--npm-proofs sample` the npm all-proofs time is extrapolated from the sample and labelled so.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

from aitrail.merkle import StandardMerkleTree
from aitrail.records import RECORD_LEAF_ENCODING, PackedRecords
from bench._cli import at_least_one, bench_parser, emit_result

# the repository root: `python -m bench.merkle --worker` is found from there, whatever the caller's cwd
ROOT = Path(__file__).resolve().parents[1]
NPM_SCRIPT = ROOT / "tools" / "bench_merkle_npm.js"
TARGET_RATIO = 20.0


def synthetic_records(n: int) -> bytes:
    """n record encodings, deterministic: key = sha256("record-i"), hash = sha256(key), consent = i % 3."""
    out = bytearray()
    pad = bytes(31)
    for i in range(n):
        key = hashlib.sha256(b"record-%d" % i).digest()
        out += key + hashlib.sha256(key).digest() + pad + bytes((i % 3,))
    return bytes(out)


def sample_indices(n: int, k: int) -> list[int]:
    return sorted({0, n - 1, *(i * n // k for i in range(k))}) if k > 0 else [0, n - 1]


def _worker(values_path: str, out_path: str, indices: list[int]) -> None:
    """The aitrail side (run as a child process so its peak RSS is its own)."""
    records = PackedRecords(Path(values_path).read_bytes())
    t0 = perf_counter()
    tree = StandardMerkleTree.from_leaf_hashes(records.leaf_hashes(), records, RECORD_LEAF_ENCODING)
    build_s = perf_counter() - t0
    digest = hashlib.sha256()
    spent = 0.0
    proofs = 0
    blocks = tree.all_proofs()
    while True:
        t0 = perf_counter()
        block = next(blocks, None)
        if block is None:
            spent += perf_counter() - t0
            break
        packed = block.packed()
        spent += perf_counter() - t0
        proofs += len(block.lengths)
        digest.update(packed)
    sample = {str(i): ["0x" + p.hex() for p in tree.get_proof(i)] for i in indices}
    result = {
        "root": "0x" + tree.root.hex(),
        "count": len(tree),
        "build_s": build_s,
        "proofs_s": spent,
        "proofs": proofs,
        "digest": digest.hexdigest(),
        "sample": sample,
    }
    Path(out_path).write_text(json.dumps(result))


def _run_child(cmd: list[str], out_path: Path) -> dict[str, Any]:
    """Run a side to completion; its result JSON plus its own peak RSS in MiB."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    # wait4 on this pid gives this child's own rusage (RUSAGE_CHILDREN would merge both sides)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"error: {cmd[0]} side failed ({proc.returncode}): {err.strip().splitlines()[-1:]}")
    result: dict[str, Any] = json.loads(out_path.read_text())
    result["peak_rss_mib"] = usage.ru_maxrss / 1024  # Linux reports KiB
    return result


def run(n: int, npm_proofs: str, sample: int, workdir: Path) -> dict[str, Any]:
    values = workdir / "values.bin"
    values.write_bytes(synthetic_records(n))
    indices = sample_indices(n, sample)
    idx_arg = ",".join(map(str, indices))
    py_out, js_out = workdir / "py.json", workdir / "npm.json"
    py = _run_child(
        [sys.executable, "-m", "bench.merkle", "--worker", str(values), str(py_out), idx_arg], py_out
    )
    js = _run_child(
        [
            "node",
            "--max-old-space-size=16384",
            str(NPM_SCRIPT),
            str(values),
            str(js_out),
            npm_proofs,
            idx_arg,
        ],
        js_out,
    )
    py_total = py["build_s"] + py["proofs_s"]
    if npm_proofs == "all":
        js_proofs_all = js["proofs_s"]
    elif npm_proofs == "sample" and js["proofs"]:
        js_proofs_all = js["proofs_s"] / js["proofs"] * n  # extrapolated, reported as such
    else:
        js_proofs_all = None
    same_sample = all(js["sample"].get(k) == v for k, v in py["sample"].items())
    return {
        "records": n,
        "leaf_encoding": list(RECORD_LEAF_ENCODING),
        "npm_proofs": npm_proofs,
        "aitrail": {k: py[k] for k in ("build_s", "proofs_s", "proofs", "peak_rss_mib")}
        | {"total_s": py_total},
        "npm": {k: js[k] for k in ("build_s", "proofs_s", "proofs", "peak_rss_mib")}
        | {
            "all_proofs_s": js_proofs_all,
            "all_proofs_extrapolated": npm_proofs == "sample",
            "total_s": None if js_proofs_all is None else js["build_s"] + js_proofs_all,
        },
        "root": py["root"],
        "root_identical": py["root"] == js["root"],
        "all_proofs_identical": (py["digest"] == js["digest"]) if npm_proofs == "all" else None,
        "sample_proofs_compared": len(py["sample"]) if npm_proofs != "none" else 0,
        "sample_proofs_identical": same_sample if npm_proofs != "none" else None,
        "ratio_build": js["build_s"] / py["build_s"],
        "ratio_total": None if js_proofs_all is None else (js["build_s"] + js_proofs_all) / py_total,
        "target_ratio": TARGET_RATIO,
    }


def _fmt(r: dict[str, Any]) -> str:
    a, j = r["aitrail"], r["npm"]
    n = r["records"]
    npm_proofs = "-" if j["all_proofs_s"] is None else f"{j['all_proofs_s']:.2f} s"
    if j["all_proofs_extrapolated"]:
        npm_proofs += f" (extrapolated from {j['proofs']:,})"
    lines = [
        f"Merkle tree + all proofs, {n:,} records {tuple(r['leaf_encoding'])}",
        f"{'':26}{'aitrail':>14}   @openzeppelin/merkle-tree 1.0.8",
        f"{'build tree':26}{a['build_s']:>12.2f} s   {j['build_s']:.2f} s",
        f"{'all ' + format(n, ',') + ' proofs':26}{a['proofs_s']:>12.2f} s   {npm_proofs}",
        f"{'total':26}{a['total_s']:>12.2f} s   "
        + ("-" if j["total_s"] is None else f"{j['total_s']:.2f} s"),
        f"{'peak RSS (child process)':26}{a['peak_rss_mib']:>10.0f} MiB   {j['peak_rss_mib']:.0f} MiB",
        f"speed-up build: {r['ratio_build']:.1f}x"
        + ("" if r["ratio_total"] is None else f"   build + all proofs: {r['ratio_total']:.1f}x")
        + f"   (target >= {r['target_ratio']:.0f}x)",
        f"root {r['root']} identical: {'yes' if r['root_identical'] else 'NO'}",
    ]
    if r["all_proofs_identical"] is not None:
        lines.append(
            f"all {n:,} proofs identical (SHA-256 over all): {'yes' if r['all_proofs_identical'] else 'NO'}"
        )
    if r["sample_proofs_identical"] is not None:
        lines.append(
            f"{r['sample_proofs_compared']:,} sampled proofs compared one by one: "
            + ("identical" if r["sample_proofs_identical"] else "DIFFERENT")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--worker"]:
        _worker(args[1], args[2], [int(i) for i in args[3].split(",") if i])
        return 0
    parser = bench_parser("python -m bench.merkle", __doc__)
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="number of records (default 1,000,000)"
    )
    parser.add_argument(
        "--npm-proofs",
        choices=("all", "sample", "none"),
        default="all",
        help="npm side: every proof (default), only the sample (all-proofs time extrapolated), or none",
    )
    parser.add_argument("--sample", type=int, default=1000, help="proofs compared one by one (default 1000)")
    opts = parser.parse_args(args)
    at_least_one(parser, records=opts.records, sample=opts.sample)
    with tempfile.TemporaryDirectory(prefix="aitrail-bench-merkle-") as tmp:
        result = run(opts.records, opts.npm_proofs, opts.sample, Path(tmp))
    emit_result(result, opts.json, _fmt)
    ok = result["root_identical"] and result["all_proofs_identical"] is not False
    ok = ok and result["sample_proofs_identical"] is not False
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
