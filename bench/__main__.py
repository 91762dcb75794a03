"""`make bench`: every figure aitrail claims, each beside its anchor measured in the same run.

    python -m bench [--quick] [--only gas,cid,startup,stream,merkle,e2e,growth,gateway,index,fl]
                            [--json PATH] [--readme]
    python -m bench --readme --no-run     # regenerate the README section from the JSON only

Sections: gas (per operation, beside the anchors and the floor), cid (1 GiB vs Kubo's importer), startup
(each command's whole-process start-up, and the whole `aitrail cid` process on the same 1 GiB), stream
(1 GiB register and fetch as whole CLI processes beside a one-pass SHA-256 + AES-256-GCM floor, peak RSS),
merkle (1,000,000 records vs @openzeppelin/merkle-tree), e2e (SDK flows on a local Anvil, and
`make demo`), growth (gas and time at 1, 10, 100, 1,000), gateway (1, 10, 50 researchers through
the access gateway vs `python -m http.server`, its peak RSS, gas per recorded attempt), index (event
index sync and audits at 1 to 100,000 events vs the full re-scan), fl (federated rounds: gas per
participant per round, recording overhead against plain Flower on the same task, in-process and under
Flower's deployment engine, and the deployment engine's round time against the in-process one). Each
section runs in child processes, so peak memory is each side's own and every Anvil the bench starts is
stopped with its child.

Results are merged into the JSON file section by section (default bench/results.json; a --quick run
writes no JSON unless --json is given), each section with its own date, commit and wall time.
`--readme` rewrites the README between `<!-- bench:start -->` and `<!-- bench:end -->` from that JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench._cli import bench_parser, result_of

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("gas", "cid", "startup", "stream", "merkle", "e2e", "growth", "gateway", "index", "fl")
DEFAULT_JSON = ROOT / "bench" / "results.json"

FULL = {
    "cid_mib": 1024, "cid_runs": 3, "startup_runs": 5, "stream_mib": 1024, "stream_runs": 5,
    "merkle_records": 1_000_000, "merkle_npm_proofs": "sample",
    "e2e_mib": 100, "e2e_runs": 5, "demo_runs": 3,
    "growth_sizes": "1,10,100,1000", "growth_samples": 5,
    "gateway_mib": 100, "gateway_clients": "1,10,50",
    "index_sizes": "1,100,10000,100000",
    "fl_rounds": 5, "fl_runs": 3, "fl_deployment_rounds": 3, "fl_deployment_runs": 2,
}
QUICK = {
    "cid_mib": 4, "cid_runs": 1, "startup_runs": 1, "stream_mib": 4, "stream_runs": 1,
    "merkle_records": 1000, "merkle_npm_proofs": "all",
    "e2e_mib": 1, "e2e_runs": 1, "demo_runs": 0,
    "growth_sizes": "1,3", "growth_samples": 2,
    "gateway_mib": 4, "gateway_clients": "1,3",
    "index_sizes": "1,100",
    "fl_rounds": 2, "fl_runs": 1, "fl_deployment_rounds": 1, "fl_deployment_runs": 1,
}


def _env() -> dict[str, str]:
    """The children find the project's Anvil, node and solc bridge as `make` would give them."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [str(ROOT / "node_modules" / ".bin"), str(Path(sys.executable).parent), env.get("PATH", "")]
    )
    env.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".toolchain" / "solcx"))
    env["AITRAIL_NO_PROGRESS"] = "1"
    return env


# brownie gives up on a transaction whose sender's nonce moved on before its receipt could be read; a
# loaded machine can open that window on Anvil. The measurement restarts on a fresh chain (gas is
# deterministic, so a retry changes no figure); any other failure stops the bench.
RETRYABLE = "Tx dropped without known replacement"


def _child_json(args: list[str], attempts: int = 1) -> dict[str, Any]:
    """Run `python -m ...` and return the figures of the result line it prints (bench._cli)."""
    for attempt in range(attempts):
        proc = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, env=_env(),
                              cwd=ROOT)
        if proc.returncode == 0 or RETRYABLE not in proc.stderr or attempt == attempts - 1:
            break
        print(f"  brownie lost a receipt on the loaded machine ({RETRYABLE}); again on a fresh chain",
              flush=True)
    result = result_of(proc.stdout)
    if proc.returncode != 0 or result is None:
        tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-5:]
        command = " ".join(args)
        raise SystemExit(f"error: `python -m {command}` failed ({proc.returncode}): " + " | ".join(tail))
    return result


def _demo(runs: int) -> dict[str, Any] | None:
    if runs < 1:
        return None
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "aitrail.demo"], capture_output=True, text=True,
                              env=_env(), cwd=ROOT)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
            raise SystemExit("error: `python -m aitrail.demo` failed: " + " | ".join(tail))
    return {"min": min(times), "median": statistics.median(times), "runs": runs}


def _commit() -> str:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True,
                             cwd=ROOT, check=True)
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def measure(sections: list[str], p: dict[str, Any], quick: bool) -> dict[str, dict[str, Any]]:
    """Run the chosen sections; print each as it completes; return {section: {meta, result}}."""
    from bench import cid, merkle

    commit = _commit()
    done: dict[str, dict[str, Any]] = {}

    def keep(name: str, result: dict[str, Any], seconds: float, text: str) -> None:
        meta = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": commit,
            "quick": quick,
            "seconds": round(seconds, 1),
            "params": {k: v for k, v in p.items() if k.split("_")[0] in (name, "demo" * (name == "e2e"))},
        }
        done[name] = {"meta": meta, "result": result}
        print(f"\n[{name}] {seconds:.0f} s\n{text}", flush=True)

    def start(what: str) -> None:
        print(f"[{what}] running ...", flush=True)

    if "gas" in sections:
        start("gas")
        t0 = time.perf_counter()
        res = _child_json(["bench.gas", "--json", "--sizes", ""], attempts=3)
        keep("gas", res["table"], time.perf_counter() - t0, report.gas_text(res["table"]))
    if "growth" in sections:
        start("growth")
        t0 = time.perf_counter()
        res = _child_json(["bench.gas", "--json", "--no-table", "--samples", str(p["growth_samples"]),
                           "--sizes", p["growth_sizes"]], attempts=3)
        keep("growth", res["growth"], time.perf_counter() - t0, report.growth_text(res["growth"]))
    if "cid" in sections:
        start("cid")
        t0 = time.perf_counter()
        res = cid.run(p["cid_mib"] << 20, p["cid_runs"], True)
        keep("cid", res, time.perf_counter() - t0, report.cid_text(res))
    if "startup" in sections:
        start("startup")
        t0 = time.perf_counter()
        # the whole `aitrail cid` process on the cid section's file size, so the two compare
        res = _child_json(["bench.startup", "--json", "--runs", str(p["startup_runs"]),
                           "--cid-mib", str(p["cid_mib"])])
        keep("startup", res, time.perf_counter() - t0, report.startup_text(res))
    if "stream" in sections:
        start("stream")
        t0 = time.perf_counter()
        res = _child_json(["bench.stream", "--json", "--size-mib", str(p["stream_mib"]),
                           "--runs", str(p["stream_runs"])])
        keep("stream", res, time.perf_counter() - t0, report.stream_text(res))
    if "merkle" in sections:
        start("merkle")
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="aitrail-bench-merkle-") as tmp:
            sample = 20 if quick else 1000
            res = merkle.run(p["merkle_records"], p["merkle_npm_proofs"], sample, Path(tmp))
        keep("merkle", res, time.perf_counter() - t0, report.merkle_text(res))
    if "e2e" in sections:
        start("e2e")
        t0 = time.perf_counter()
        flows = _child_json(["bench.e2e", "--json", "--size-mib", str(p["e2e_mib"]),
                             "--runs", str(p["e2e_runs"])])
        demo = _demo(p["demo_runs"])
        res = {"flows": flows, "demo_seconds": demo}
        keep("e2e", res, time.perf_counter() - t0, report.e2e_text(flows, demo))
    if "gateway" in sections:
        start("gateway")
        t0 = time.perf_counter()
        res = _child_json(["bench.gateway", "--json", "--size-mib", str(p["gateway_mib"]),
                           "--clients", p["gateway_clients"]])
        keep("gateway", res, time.perf_counter() - t0, report.gateway_text(res))
    if "index" in sections:
        start("index")
        t0 = time.perf_counter()
        res = _child_json(["bench.index", "--json", "--sizes", p["index_sizes"]])
        keep("index", res, time.perf_counter() - t0, report.index_text(res))
    if "fl" in sections:
        start("fl")
        t0 = time.perf_counter()
        res = _child_json(["bench.fl", "--json", "--rounds", str(p["fl_rounds"]),
                           "--runs", str(p["fl_runs"]),
                           "--deployment-rounds", str(p["fl_deployment_rounds"]),
                           "--deployment-runs", str(p["fl_deployment_runs"])])
        keep("fl", res, time.perf_counter() - t0, report.fl_text(res))
    return done


def failures(done: dict[str, dict[str, Any]]) -> list[str]:
    """Correctness checks the figures rest on (a missed speed or gas target is reported, not failed)."""
    bad = []
    if "gas" in done and not done["gas"]["result"]["matches_snapshot"]:
        bad.append("gas: figures differ from the committed snapshot gas/*.json")
    if "gas" in done:
        # a floor above the gas paid would mean the floor counts something the transaction did not do
        bad += [f"gas: floor {r['floor']:,} above the gas paid {r['gas']:,} for {r['operation']}"
                for r in done["gas"]["result"]["rows"] if r["floor"] is not None and r["floor"] > r["gas"]]
    if "cid" in done and done["cid"]["result"].get("same_cid_as_kubo") is False:
        bad.append("cid: aitrail's CID differs from Kubo's")
    if "merkle" in done:
        m = done["merkle"]["result"]
        if not m["root_identical"] or False in (m["sample_proofs_identical"], m["all_proofs_identical"]):
            bad.append("merkle: root or proofs differ from @openzeppelin/merkle-tree")
    if "gateway" in done and done["gateway"]["result"]["stranger_served"]:
        bad.append("gateway: a request without a grant was served")
    if "index" in done:
        bad += [f"index: the indexed audit of {r['events']:,} events differs in size from the full re-scan"
                for r in done["index"]["result"]["rows"] if not r["same_trail_size"]]
    if "fl" in done and not done["fl"]["result"]["same_model_as_plain"]:
        bad.append("fl: the recorded federation's model differs from plain Flower's on the same task")
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser("python -m bench", __doc__, result_json=False)
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each: a smoke test")
    ap.add_argument("--only", default="", help=f"comma-separated sections of: {', '.join(SECTIONS)}")
    ap.add_argument("--json", type=Path, default=None,
                    help="merge results into this JSON (default bench/results.json; none with --quick)")
    ap.add_argument("--readme", action="store_true", help="regenerate the README section from the JSON")
    ap.add_argument("--readme-file", type=Path, default=ROOT / "README.md", help=argparse.SUPPRESS)
    ap.add_argument("--no-run", action="store_true", help="measure nothing (with --readme: only regenerate)")
    args = ap.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()] or list(SECTIONS)
    unknown = [s for s in chosen if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}")
    json_path: Path | None = args.json or (None if args.quick else DEFAULT_JSON)
    if args.readme and json_path is None:
        print("--quick without --json: no JSON written, the README is left as it is")
        args.readme = False

    results: dict[str, Any] = {"schema": 1, "sections": {}}
    if json_path is not None and json_path.exists():
        results = json.loads(json_path.read_text())
    bad: list[str] = []
    if not args.no_run:
        started = time.perf_counter()
        done = measure(chosen, QUICK if args.quick else FULL, args.quick)
        total = time.perf_counter() - started
        targets = report.targets_rows(done)
        if targets:
            print("\nTargets from the issues")
            print("\n".join(report.text_table(["target", "measured", ""], targets)))
        print(f"\nbench finished in {total:.0f} s ({', '.join(done)})")
        bad = failures(done)
        results["sections"] = {**results.get("sections", {}), **done}
        results["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                              "system": platform.platform()}
        results["last_run"] = {"sections": list(done), "seconds": round(total, 1), "quick": args.quick}
        if json_path is not None:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps(results, indent=2) + "\n")
            print(f"results written to {json_path}")
    if args.readme:
        if json_path is None or not json_path.exists():
            raise SystemExit(f"error: no results JSON at {json_path}: run the bench first")
        changed = report.update_readme(args.readme_file, json.loads(json_path.read_text()))
        print(f"{args.readme_file}: performance section {'regenerated' if changed else 'already up to date'}")
    for line in bad:
        print(f"FAILED: {line}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
