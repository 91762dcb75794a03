"""`make demo`: the main scenario on the embedded default, narrated.

A hospital registers the Wisconsin diagnostic breast-cancer data (shipped inside scikit-learn, no
download); a researcher requests access; the hospital's 30-day grant is sold through the market and
the data key delivered; the researcher fetches and verifies it, trains a small model and publishes the
version citing the dataset; the hospital earns and claims its reward; 31 days pass; the researcher's
next fetch is denied and the denial is on record; tampered copies are detected; the audit trails of the
dataset and the model are printed.

The three parties run as on three machines: each has its own AITRAIL_HOME (keystore, address book), and
they share only the chain (a local Anvil started for the run, on a free port) and a real IPFS node (js-ipfs
with Kubo's RPC, started for the run when Node and `make setup`'s npm packages are there). The researcher's
and the auditor's homes find the deployment from the chain (`find_suite`, as `aitrail deploy --find`) and
read the metadata, the purpose and the wrapped key from the shared node. Without the node the demo falls
back to the embedded store, which is not shared between homes: the three parties then use one home. The
first line of the run says which store it used. Everything lives in a fresh temporary folder (never the
user's own home). The hospital's and the researcher's keys are real encrypted keystores, funded by a
transfer from Anvil's first test account (which also deploys the suite and acts as the research fund).

    python -m aitrail.demo [--keep]
"""

from __future__ import annotations

import csv
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aitrail import flows
from aitrail._net import free_port
from aitrail.chain.accounts import Keystore
from aitrail.chain.local import LocalChain
from aitrail.config import Settings
from aitrail.errors import AitrailError
from aitrail.flows import Session
from aitrail.flows._common import TOKEN, tokens, when
from aitrail.storage.jsipfs import JsIpfsNode, JsIpfsUnavailable

DAY = 86_400


def say(text: str = "") -> None:
    print(text, flush=True)


def step(n: int, title: str) -> None:
    say(f"\n== {n}. {title}")


def write_breast_cancer_csv(path: Path) -> int:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    with path.open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["id", *[n.replace(" ", "_") for n in data.feature_names], "diagnosis"])
        for i, (row, target) in enumerate(zip(data.data, data.target, strict=True)):
            out.writerow([f"patient-{i:04d}", *[repr(float(v)) for v in row], data.target_names[target]])
    return len(data.data)


def train(csv_path: Path, out_dir: Path) -> dict[str, Any]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with csv_path.open() as handle:
        rows = list(csv.reader(handle))[1:]
    x = np.array([[float(v) for v in r[1:-1]] for r in rows])
    y = np.array([1 if r[-1] == "benign" else 0 for r in rows])
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=7, stratify=y)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(x_train, y_train)
    metrics = {
        "accuracy": round(float(model.score(x_test, y_test)), 4),
        "test_size": len(y_test),
        "train_size": len(y_train),
        "model": "StandardScaler+LogisticRegression",
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "model.pkl").write_bytes(pickle.dumps(model))
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=1))
    return metrics


def start_ipfs_node() -> JsIpfsNode | None:
    """The shared IPFS node, or None (said why) when it cannot start here."""
    try:
        return JsIpfsNode.start()
    except JsIpfsUnavailable as exc:
        say(f"store: the embedded store ({exc}; falling back, the three parties share one home)")
        return None


def run(root: Path, node: JsIpfsNode | None) -> None:
    os.environ["AITRAIL_LOCAL_PORT"] = str(free_port())
    os.environ.setdefault("AITRAIL_NO_PROGRESS", "1")
    homes = {p: root / p if node else root for p in ("hospital", "researcher", "auditor")}
    os.environ["AITRAIL_HOME"] = str(homes["hospital"])
    kind, api = ("kubo", node.api_url) if node else ("local", None)
    settings = Settings.resolve(None, "local", homes["hospital"])
    work = root / "work"
    work.mkdir(parents=True)

    if node:
        step(1, "Three homes sharing one local Anvil chain and one real IPFS node")
        say(f"store: a real IPFS node (js-ipfs, Kubo RPC at {node.api_url}, up in {node.started_in:.1f} s)")
    else:
        step(1, "The embedded default: a local Anvil chain and the embedded IPFS-compatible store")
    chain = LocalChain(homes["hospital"])
    say(f"chain {chain.ensure()} (chain id {chain.chain_id}), state in {chain.state_file}")
    # Set only now, after Anvil and the IPFS node started: no child process inherits a password.
    os.environ["AITRAIL_PASSWORD_HOSPITAL"] = "demo-hospital-password"
    os.environ["AITRAIL_PASSWORD_RESEARCHER"] = "demo-researcher-password"
    fund = Session.open(settings, "anvil0", store=kind, ipfs_api=api)
    result = flows.deploy_suite(fund, flows.DeployParams(treasury=10_000 * TOKEN))
    for name, address in result.addresses.items():
        say(f"  {name:<16} {address}")
    say(f"  research fund (Anvil test account 0) holds {tokens(fund.suite.token.balance(fund.address))}")
    # The other homes reach the same chain by URL and find the suite on it: nothing copied between homes.
    other = {p: Settings.resolve(chain.url, None, homes[p]) for p in ("researcher", "auditor")}
    if node:
        for party, party_settings in other.items():
            found = flows.find_suite(Session.open(party_settings, None, store=kind, ipfs_api=api))
            registry = found.addresses["DatasetRegistry"]
            say(f"  the {party}'s home found the suite on the chain (DatasetRegistry {registry})")

    step(2, "Accounts: encrypted keystores for the hospital and the researcher, funded with test ETH")
    for name in ("hospital", "researcher"):
        keystore = Keystore(homes[name])
        address = keystore.new(name)
        fund.sender.transfer(address, 10 * TOKEN, f"fund {name}")
        say(f"  {name:<11} {address}  (keystore {keystore.path(name)})")
    hospital = Session.open(settings, "hospital", store=kind, ipfs_api=api)
    researcher = Session.open(other["researcher"], "researcher", store=kind, ipfs_api=api)
    flows.send_tokens(fund, researcher.address, 200 * TOKEN)
    say(f"  the research fund grants the researcher {tokens(200 * TOKEN)} for data access fees")

    step(3, "The hospital registers the Wisconsin diagnostic breast-cancer data")
    data_csv = work / "hospital" / "wdbc.csv"
    data_csv.parent.mkdir()
    count = write_breast_cancer_csv(data_csv)
    reg = flows.register_dataset(
        hospital,
        data_csv,
        name="Wisconsin Diagnostic Breast Cancer",
        license="CC-BY-4.0",
        description="569 fine-needle aspirates, 30 features",
        consent={"aiTraining": "allowed", "aiGenerativeTraining": "notAllowed"},
    )
    dataset_id = reg.dataset_id
    say(
        f"  {count} patient records hashed, encrypted (AES-256-GCM) and stored; Merkle root of "
        f"{reg.records_count} records anchored"
    )
    say(f"  dataset {dataset_id}: CID {reg.cid}, sha256 0x{reg.content_hash.hex()[:16]}…, tx {reg.tx_hash}")
    flows.set_price(hospital, dataset_id, 1 * TOKEN)
    say(f"  the hospital offers 30-day access through the market at {tokens(TOKEN)} per day")

    step(4, "The researcher requests access; the hospital grants 30 days")
    flows.request_access(
        researcher, dataset_id, "Train a benign/malignant classifier for a screening study", 30
    )
    for req in flows.pending_requests(hospital, dataset_id):
        say(f"  pending request from {req['researcher']}: {req['purpose']!r} ({req['days']} days)")
    bought = flows.buy_access(researcher, dataset_id, 30)
    say(
        f"  the researcher pays {tokens(bought['fee'])}; the market grants 30 days as the hospital's operator"
    )
    delivered = flows.deliver_key(hospital, dataset_id, researcher.address)
    say(
        f"  the hospital delivers the data key wrapped (ECIES) for the researcher's public key; access "
        f"until {when(delivered.expires_at)}"
    )

    step(5, "The researcher fetches and verifies the data, trains a model, publishes it citing the dataset")
    fetched = flows.fetch_dataset(researcher, dataset_id, work / "researcher")
    say(
        f"  access check logged on-chain as ALLOWED; decrypted {fetched.size:,} bytes; sha256 matches the "
        f"chain → {fetched.path}"
    )
    metrics = train(fetched.path, work / "researcher" / "model")
    say(
        f"  trained {metrics['model']}: accuracy {metrics['accuracy']:.1%} on {metrics['test_size']} "
        "held-out patients"
    )
    pub = flows.publish_model(
        researcher,
        "wdbc-screening",
        work / "researcher" / "model",
        [dataset_id],
        metrics_file=work / "researcher" / "model" / "metrics.json",
    )
    say(
        f"  model 'wdbc-screening' version {pub['number']} published: weights {pub['weightsDigest'][:18]}…, "
        f"tx {pub['tx']}"
    )
    check = flows.verify_model(fund, work / "researcher" / "model")
    say(
        f"  anyone can verify the weights: version {check['number']} of {check['model']!r}, trained on "
        f"dataset(s) {check['datasets']}"
    )

    step(6, "The hospital earns its reward")
    before = flows.balance(hospital)
    claimed = flows.claim(hospital)
    after = flows.balance(hospital)
    say(
        f"  access fee received {tokens(before['balance'])}; citation reward credited "
        f"{tokens(before['credited'])}, claimed {tokens(claimed['claimed'])}; balance now "
        f"{tokens(after['balance'])}"
    )

    step(7, "31 days pass")
    fund.w3.provider.make_request("evm_increaseTime", [31 * DAY])  # type: ignore[arg-type]
    fund.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    say(f"  chain time is now {when(fund.block_time())}; no transaction was needed for the grant to expire")
    try:
        flows.fetch_dataset(researcher, dataset_id, work / "researcher-later")
        raise SystemExit("demo failure: the expired fetch was allowed")
    except AitrailError as denied:
        say(f"  the researcher's next fetch is refused: {denied}")

    step(8, "Tampered copies are detected")
    tampered = work / "tampered.csv"
    raw = bytearray(fetched.path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    tampered.write_bytes(bytes(raw))
    verdict = flows.verify_copy(fund, dataset_id, tampered)
    say(
        f"  a copy with one flipped bit: intact={verdict['intact']} (sha256 {verdict['actual'][:18]}…, "
        f"chain says {verdict['expected'][:18]}…)"
    )
    weights = work / "researcher" / "model" / "model.pkl"
    weights.write_bytes(weights.read_bytes() + b"\0")
    try:
        flows.verify_model(fund, work / "researcher" / "model")
        raise SystemExit("demo failure: tampered weights verified")
    except AitrailError as refused:
        say(f"  tampered weights: {refused}")

    step(9, "The audit trail of the dataset, rebuilt from chain events")
    auditor = Session.open(other["auditor"], None, store=kind, ipfs_api=api)
    trail = flows.dataset_trail(auditor, dataset_id)
    say(flows.trail_table(trail["trail"]))
    step(10, "The audit trail of the model")
    say(flows.trail_table(flows.model_trail(auditor, "wdbc-screening")["trail"]))
    chain.stop()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    keep = "--keep" in args
    root = Path(tempfile.mkdtemp(prefix="aitrail-demo-"))
    started = time.perf_counter()
    node = start_ipfs_node()
    try:
        run(root, node)
    except AitrailError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        LocalChain(root / "hospital" if node else root).stop()
        if node:
            node.stop()
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    say(
        f"\ndemo finished in {time.perf_counter() - started:.1f} s"
        + (f"; state kept in {root}" if keep else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
