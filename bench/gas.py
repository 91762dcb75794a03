"""Gas per operation of the whole suite beside its anchors and its floor; how gas and time grow with N.

    python -m bench.gas [--sizes 1,10,100,1000] [--samples 5] [--json]

Runs in its own process: loads the brownie project (compiled by `make test`'s set-up), has brownie start
Anvil on a free 127.0.0.1 port (the settings `make setup` gives the test network, so the figures are the
snapshot's), and stops it at the end.

Gas table: `measure()` of scripts/gas_datasets.py and scripts/gas_models.py (the snapshot scripts, so
these are the snapshot's figures, checked against gas/*.json), each row beside its anchor from
../shared/ANCHORS.md with the ratio, and the floor of the very transaction measured (bench.floor:
21,000 + fresh slots + calldata + events), so the distance to the physical limit is visible.

Growth: on a fresh DatasetRegistry, gas and latency (send to receipt, min/median of several samples) of
registering the Nth dataset, granting the Nth grantee, logging an access with N grantees existing, a
batch grant of N, anchoring the root of N records (plus building that tree off-chain), and checking a
proof among N records (eth_call). Filling up to N uses plain transactions, not timed.
"""

from __future__ import annotations

import importlib
import math
import re
import socket
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from web3.exceptions import TransactionNotFound

from bench._cli import at_least_one, bench_parser, emit_result
from bench.floor import INTRINSIC, calldata_gas, gas_floor

ROOT = Path(__file__).resolve().parents[1]
NETWORK_ID = "aitrail-bench"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _connect() -> Any:
    """Load the project and start Anvil through brownie on a free port; return brownie's module."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tools"))
    brownie: Any = importlib.import_module("brownie")  # loaded at run time: brownie is a dev dependency
    CONFIG = importlib.import_module("brownie._config").CONFIG

    entry = dict(importlib.import_module("brownie_network").DEVELOPMENT)
    entry["cmd_settings"] = {**entry["cmd_settings"], "port": _free_port()}
    CONFIG.networks[NETWORK_ID] = {**entry, "id": NETWORK_ID}
    # as `brownie run` does, so the snapshot scripts' `from brownie import DatasetRegistry` works
    brownie.project.load(ROOT, name="AitrailBench")._add_to_main_namespace()
    brownie.network.connect(NETWORK_ID)
    return brownie


def _median(xs: list[float]) -> dict[str, float]:
    return {"min": min(xs), "median": statistics.median(xs)}


# ------------------------------------------------------------------------------------------ gas table


def gas_table(web3: Any) -> dict[str, Any]:
    gas_datasets = importlib.import_module("scripts.gas_datasets")
    gas_models = importlib.import_module("scripts.gas_models")
    rows: list[dict[str, Any]] = []
    snapshots_match = True
    for contract, module in (("DatasetRegistry", gas_datasets), ("ModelRegistry, Rewards, AccessMarket",
                                                                 gas_models)):
        txs: dict[str, str] = {}
        calls: dict[str, str] = {}
        gas = module.measure(txs, calls) if module is gas_datasets else module.measure(txs)
        snapshots_match = snapshots_match and gas == module.SNAPSHOT.load()
        floors: dict[str, dict[str, Any]] = {}
        for name, tx_hash in txs.items():
            per = int(m.group(1)) if (m := re.search(r" x(\d+) per grantee", name)) else 1
            f = gas_floor(web3, tx_hash)
            floors[name] = {**f.as_dict(), "total": f.total // per, "per": per}
        for name, data in calls.items():
            cd = calldata_gas(bytes.fromhex(data.removeprefix("0x")))
            floors[name] = {"fresh_slots": 0, "calldata": cd, "events": 0, "total": INTRINSIC + cd, "per": 1}
        if "register, commit + reveal" in gas:  # two transactions: the floor of each, added
            both = (floors["commit registration"], floors["register"])
            floors["register, commit + reveal"] = {"total": sum(f["total"] for f in both), "derived": True}
        for name in gas:
            m = re.match(r"per extra dataset, 1->(\d+) \(paid\)", name)
            if m and name not in floors:
                n = int(m.group(1))
                many = floors[f"publish, cites {n} datasets (paid)"]
                one = floors["publish, cites 1 dataset (paid)"]
                floors[name] = {"total": (many["total"] - one["total"]) // (n - 1), "derived": True}
        for name, value in gas.items():
            anchor = module.ANCHORS.get(name)
            floor = floors.get(name, {}).get("total")
            rows.append({
                "operation": name,
                "contract": contract,
                "gas": value,
                "target": module.TARGETS.get(name),
                "meets_target": None if name not in module.TARGETS else value <= module.TARGETS[name],
                "anchor": anchor[0] if anchor else None,
                "anchor_gas": anchor[1] if anchor else None,
                "ratio_vs_anchor": round(value / anchor[1], 3) if anchor else None,
                "floor": floor,
                "floor_detail": floors.get(name),
                "gas_over_floor": round(value / floor, 3) if floor else None,
            })
    return {"rows": rows, "matches_snapshot": snapshots_match}


# ------------------------------------------------------------------------------------------ growth


class _Chain:
    """Timed and untimed plain transactions on a DatasetRegistry, through web3 (no brownie overhead)."""

    def __init__(self, brownie: Any) -> None:
        self.w3 = brownie.web3
        self.accounts = [str(a) for a in brownie.accounts[:6]]
        registry = brownie.DatasetRegistry.deploy(1, {"from": brownie.accounts[0]})
        self.registry = self.w3.eth.contract(address=registry.address, abi=registry.abi)
        self.support = importlib.import_module("scripts.datasets_support")

    def send(self, fn: Any, sender: str) -> tuple[int, float]:
        """(gas used, seconds from send to receipt) of one transaction."""
        t0 = time.perf_counter()
        tx_hash = fn.transact({"from": sender})
        # polled every millisecond: web3's wait_for_transaction_receipt sleeps 0.1 s between tries,
        # and Anvil may answer the send just before the receipt is readable
        while True:
            try:
                receipt = self.w3.eth.get_transaction_receipt(tx_hash)
                break
            except TransactionNotFound:
                if time.perf_counter() - t0 > 60:
                    raise
                time.sleep(0.001)
        dt = time.perf_counter() - t0
        if receipt["status"] != 1:
            raise RuntimeError(f"bench transaction reverted: {fn.fn_name}")
        return int(receipt["gasUsed"]), dt

    def address(self, label: str) -> str:
        return str(self.w3.to_checksum_address(self.support.h(label)[:20]))

    def dataset(self, seed: str, records: int = 0, root: bytes | None = None) -> Any:
        """The register call (the reveal) of a fresh dataset, its commitment made and aged already."""
        owner = self.accounts[1]
        data = self.support.dataset_input(owner, seed, records=records, root=root)
        salt = self.support.salt_of(data)
        commitment = self.registry.functions.registrationCommitmentOf(owner, data[1], salt).call()
        self.send(self.registry.functions.commitRegistration(commitment), owner)
        self.w3.provider.make_request("evm_increaseTime", [1])  # type: ignore[arg-type]
        return self.registry.functions.register(data, [], salt)

    def count(self) -> int:
        return int(self.registry.functions.datasetCount().call())


def _verdict(sizes: list[int], values: list[float | None]) -> str:
    """constant, logarithmic or linear in N, judged on the sizes after the first (the first operation of
    a kind may write a fresh counter slot once)."""
    every: list[tuple[int, float]] = [(n, v) for n, v in zip(sizes, values, strict=True) if v is not None]
    later = [(n, v) for n, v in every if n > 1]
    if len(later) == 2 and later[1][1] > later[0][1] * 1.02:
        later = every  # two points cannot tell log N from N: keep the first as the third
    pts = later if len(later) > 1 else every
    lo, hi = pts[0], pts[-1]
    if hi[1] <= lo[1] * 1.02:
        return "constant"
    rise = hi[1] - lo[1]
    mid = pts[len(pts) // 2]
    # linear: the rise scales with N; logarithmic: with log N
    if hi[0] == lo[0]:
        return "grows"
    lin = (mid[0] - lo[0]) / (hi[0] - lo[0])
    log = (math.log(mid[0]) - math.log(lo[0])) / (math.log(hi[0]) - math.log(lo[0]))
    share = (mid[1] - lo[1]) / rise
    return "linear in N" if abs(share - lin) < abs(share - log) else "logarithmic in N"


def growth(brownie: Any, sizes: list[int], samples: int) -> dict[str, Any]:
    from aitrail.merkle import StandardMerkleTree
    from aitrail.records import RECORD_LEAF_ENCODING, PackedRecords
    from bench.merkle import synthetic_records

    c = _Chain(brownie)
    owner, researcher = c.accounts[1], c.accounts[2]
    reg = c.registry.functions
    max_batch = int(reg.MAX_BATCH().call())
    out: dict[str, dict[str, Any]] = {}

    def row(key: str, label: str, unit: str) -> dict[str, Any]:
        out[key] = {"operation": label, "unit": unit, "sizes": sizes, "gas": [], "seconds": []}
        return out[key]

    # register the Nth dataset
    r = row("register_nth_dataset", "register the Nth dataset", "datasets already registered + 1")
    serial = 0
    for n in sizes:
        while c.count() < n - 1:
            serial += 1
            c.dataset(f"fill-{serial}").transact({"from": owner})
        got = []
        for _ in range(samples):
            serial += 1
            got.append(c.send(c.dataset(f"fill-{serial}"), owner))
        r["gas"].append(got[0][0])
        r["seconds"].append(_median([g[1] for g in got]))

    # grant the Nth grantee, and log an access with N grantees existing, on one dataset
    c.send(c.dataset("grants"), owner)
    grants_id = c.count()
    c.send(reg.grantAccess(grants_id, researcher, 0, c.support.h("key")), owner)
    c.send(reg.logAccess(grants_id), researcher)  # the first log of a dataset may write a fresh slot
    r = row("grant_nth_grantee", "grant the Nth grantee", "grantees of the dataset")
    lg = row("log_access_n_grantees", "log an access with N grantees", "grantees of the dataset")
    granted, serial = 1, 0
    for n in sizes:
        while granted < n - 1:
            k = min(max_batch, n - 1 - granted)
            batch = [c.address(f"fill-grantee-{serial + i}") for i in range(k)]
            refs = [c.support.h(f"ref-{serial + i}") for i in range(k)]
            serial += k
            c.send(reg.grantAccessBatch(grants_id, batch, 0, refs), owner)
            granted += k
        got = []
        for _ in range(samples):
            serial += 1
            grantee = c.address(f"g-{serial}")
            got.append(c.send(reg.grantAccess(grants_id, grantee, 0, c.support.h(serial)), owner))
            granted += 1
        r["gas"].append(got[0][0])
        r["seconds"].append(_median([g[1] for g in got]))
        logs = [c.send(reg.logAccess(grants_id), researcher) for _ in range(samples)]
        lg["gas"].append(logs[0][0])
        lg["seconds"].append(_median([g[1] for g in logs]))

    # a batch grant of N fresh grantees
    c.send(c.dataset("batches"), owner)
    batch_id = c.count()
    c.send(reg.grantAccessBatch(batch_id, [c.address("batch-warm")], 0, [c.support.h("w")]), owner)
    r = row("batch_grant_n", "batch grant of N grantees", "grantees in the batch")
    r["gas_per_item"] = []
    r["limit"] = max_batch
    runs = max(1, min(3, samples))
    for n in sizes:
        if n > max_batch:  # the registry refuses a batch above MAX_BATCH (BatchTooLarge)
            r["gas"].append(None)
            r["gas_per_item"].append(None)
            r["seconds"].append(None)
            continue
        got = []
        for j in range(runs):
            batch = [c.address(f"batch-{n}-{j}-{i}") for i in range(n)]
            refs = [c.support.h(f"bref-{n}-{j}-{i}") for i in range(n)]
            got.append(c.send(reg.grantAccessBatch(batch_id, batch, 0, refs), owner))
        r["gas"].append(got[0][0])
        r["gas_per_item"].append(got[0][0] // n)
        r["seconds"].append(_median([g[1] for g in got]))

    # anchor the root of N records (and build the tree off-chain); check a proof among N records
    an = row("anchor_root_n_records", "anchor the records root of N records", "records")
    an["build_seconds"] = []
    vf = row("verify_proof_n_records", "verifyRecord of a proof among N records (eth_call)", "records")
    vf["proof_length"] = []
    for n in sizes:
        packed = PackedRecords(synthetic_records(n))
        builds, tree = [], None
        for _ in range(runs):
            t0 = time.perf_counter()
            tree = StandardMerkleTree.from_leaf_hashes(packed.leaf_hashes(), packed, RECORD_LEAF_ENCODING)
            builds.append(time.perf_counter() - t0)
        assert tree is not None
        an["build_seconds"].append(_median(builds))
        got = []
        for j in range(samples):
            got.append(c.send(c.dataset(f"records-{n}-{j}", records=n, root=tree.root), owner))
        an["gas"].append(got[0][0])
        an["seconds"].append(_median([g[1] for g in got]))
        dataset_id = c.count()
        index = n // 2
        proof = tree.get_proof(index)
        call = reg.verifyRecord(dataset_id, *tree.values[index], proof)
        times = []
        for _ in range(samples):
            t0 = time.perf_counter()
            ok = call.call()
            times.append(time.perf_counter() - t0)
            if not ok:
                raise RuntimeError(f"proof {index} of {n} records does not verify on-chain")
        vf["gas"].append(int(call.estimate_gas()))
        vf["seconds"].append(_median(times))
        vf["proof_length"].append(len(proof))

    for item in out.values():
        basis = item.get("gas_per_item") or item["gas"]
        item["verdict"] = _verdict(sizes, [None if x is None else float(x) for x in basis])
        if "gas_per_item" in item:
            total = _verdict(sizes, [None if x is None else float(x) for x in item["gas"]])
            item["verdict"] = f"total {total}, per grantee {item['verdict']}"
    return {"sizes": sizes, "samples": samples, "rows": list(out.values())}


# ------------------------------------------------------------------------------------------ entry


def run(sizes: list[int] | None, samples: int, table: bool = True) -> dict[str, Any]:
    brownie = _connect()
    try:
        res: dict[str, Any] = {}
        if table:
            res["table"] = gas_table(brownie.web3)
        if sizes:
            res["growth"] = growth(brownie, sizes, samples)
        return res
    finally:
        brownie.network.disconnect()


def main(argv: list[str] | None = None) -> int:
    from bench.report import gas_text, growth_text

    ap = bench_parser("python -m bench.gas", __doc__)
    ap.add_argument("--sizes", default="1,10,100,1000", help="growth sizes, comma-separated ('' for none)")
    ap.add_argument("--samples", type=int, default=5, help="timed samples per growth point")
    ap.add_argument("--no-table", action="store_true", help="skip the per-operation gas table")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    at_least_one(ap, sizes=min(sizes, default=1), samples=args.samples)

    def text(res: dict[str, Any]) -> str:
        parts = [gas_text(res["table"])] if "table" in res else []
        return "\n".join(parts + ([growth_text(res["growth"])] if "growth" in res else []))

    return emit_result(run(sizes, args.samples, not args.no_table), args.json, text)


if __name__ == "__main__":
    raise SystemExit(main())
