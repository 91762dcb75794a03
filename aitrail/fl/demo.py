"""Five hospitals train one breast-cancer classifier with Flower; one of them is Byzantine.

Each hospital registers its own split of scikit-learn's Wisconsin breast-cancer data (shipped inside the
package, no download) as an aitrail dataset, in its own home, and trains a logistic regression locally
(full-batch gradient descent in numpy) from the global weights Flower hands it. The Byzantine hospital
sends `global - 10 × (its honest step)`: a scaled, sign-flipped update. The coordinator (Anvil's account 0,
which deploys the suite and funds the reward pool) runs the same federation twice, once with FedAvg and
once with a robust rule, and reports the global model's accuracy on a held-out fifth of the data after
every round. The homes share the chain and one IPFS node (js-ipfs when it runs here; otherwise the
embedded store, one for all homes, a stand-in for the shared network).

Features are standardised with statistics the federation fixes beforehand (computed here from the whole
dataset: a stand-in for published reference ranges, the one thing shared besides the model).
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flwr.client import NumPyClient

from aitrail.config import Settings
from aitrail.errors import AitrailError
from aitrail.fl import rules
from aitrail.fl.recording import RecordingClient, RecordingStrategy, fl_client
from aitrail.fl.runner import run_rounds

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from aitrail.flows.session import Session
    from aitrail.storage.base import Store

TOKEN = 10**18
LEARNING_RATE = 0.5
LOCAL_EPOCHS = 20
BYZANTINE_SCALE = 10.0
MODEL_NAME = "breast-cancer-federated"


@dataclass
class Split:
    x: NDArray[Any]
    y: NDArray[Any]


def splits(hospitals: int, seed: int = 0) -> tuple[list[Split], Split]:
    """(one split per hospital, the held-out test split)."""
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
    order = np.random.default_rng(seed).permutation(len(x))
    test, train = order[: len(x) // 5], order[len(x) // 5 :]
    parts = np.array_split(train, hospitals)
    return [Split(x[p], data.target[p].astype(float)) for p in parts], Split(
        x[test], data.target[test].astype(float)
    )


def initial_weights(features: int = 30) -> list[NDArray[Any]]:
    import numpy as np

    return [np.zeros(features), np.zeros(1)]


def accuracy(weights: list[NDArray[Any]], split: Split) -> float:
    logits = split.x @ weights[0] + weights[1][0]
    return float(((logits > 0).astype(float) == split.y).mean())


class Hospital(NumPyClient):  # type: ignore[misc]
    """An honest hospital: a few epochs of logistic-regression gradient descent on its own records."""

    def __init__(self, split: Split) -> None:
        self.split = split

    def fit(self, parameters: list[NDArray[Any]], config: dict[str, Any]) -> Any:
        import numpy as np

        w, b = parameters[0].copy(), float(parameters[1][0])
        x, y = self.split.x, self.split.y
        for _ in range(LOCAL_EPOCHS):
            p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
            w -= LEARNING_RATE * (x.T @ (p - y)) / len(y)
            b -= LEARNING_RATE * float((p - y).mean())
        return [w, np.array([b])], len(y), {}


class ByzantineHospital(Hospital):
    """Trains honestly, then sends the step scaled by -BYZANTINE_SCALE."""

    def fit(self, parameters: list[NDArray[Any]], config: dict[str, Any]) -> Any:
        honest, n, metrics = super().fit(parameters, config)
        return [g - BYZANTINE_SCALE * (h - g) for h, g in zip(honest, parameters, strict=True)], n, metrics


@dataclass
class Federation:
    coordinator: Session
    hospitals: list[Session]
    dataset_ids: list[int]
    model_id: int
    splits: list[Split]
    test: Split
    store: Store
    # Each hospital's own copy of its split, in its home (kept for the deployment engine's SuperNodes).
    data: list[Path] = field(default_factory=list)


def write_split_csv(path: Path, split: Split) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow([f"f{i}" for i in range(split.x.shape[1])] + ["label"])
        for row, label in zip(split.x, split.y, strict=True):
            out.writerow([repr(float(v)) for v in row] + [int(label)])


def build_federation(
    root: Path,
    rpc_url: str,
    store_kind: str,
    ipfs_api: str | None,
    hospitals: int = 5,
    pool_funds: int = 100_000 * TOKEN,
    log: Callable[[str], None] = lambda _: None,
    keep_data: bool = False,
) -> Federation:
    """Deploy (or find) the suite as the coordinator, register each hospital's split in its own home, and
    register the coordinator's model. With `keep_data`, each hospital keeps its split as a CSV in its home
    (`<home>/split.csv`), which its SuperNode trains on."""
    from aitrail import flows

    coordinator = flows.Session.open(
        Settings.resolve(rpc_url, None, root / "coordinator"), "anvil0", store=store_kind, ipfs_api=ipfs_api
    )
    flows.deploy_suite(coordinator, flows.DeployParams(treasury=pool_funds))
    shared = coordinator.store
    parts, test = splits(hospitals)
    sessions, dataset_ids, kept = [], [], []
    for i, split in enumerate(parts, start=1):
        settings = Settings.resolve(rpc_url, None, root / f"hospital{i}")
        flows.find_suite(flows.Session.open(settings, None, store=store_kind, ipfs_api=ipfs_api))
        session = flows.Session.open(settings, f"anvil{i}", store=store_kind, ipfs_api=ipfs_api)
        if store_kind == "local":
            session.__dict__["store"] = shared  # the embedded store is per home: share the coordinator's
        path = settings.home / "split.csv" if keep_data else root / f"hospital{i}-split.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_split_csv(path, split)
        registered = flows.register_dataset(
            session,
            path,
            name=f"hospital {i} breast-cancer records",
            license="CC-BY-4.0",
            show_progress=False,
        )
        if keep_data:
            kept.append(path)
        else:
            path.unlink()  # the plaintext copy made for registration is not left behind
        log(
            f"  hospital {i} ({session.address}) registered dataset {registered.dataset_id}: "
            f"{len(split.y)} records"
        )
        sessions.append(session)
        dataset_ids.append(registered.dataset_id)
    models = coordinator.suite.models
    model_id = models.model_id(coordinator.address, MODEL_NAME) or models.register(MODEL_NAME)[0]
    return Federation(coordinator, sessions, dataset_ids, model_id, parts, test, shared, kept)


@dataclass
class TaskRun:
    task_id: int
    rule: str
    accuracies: list[float]
    seconds: float
    update_gas: list[int] = field(default_factory=list)
    aggregate_gas: list[int] = field(default_factory=list)
    create_gas: int = 0
    excluded: list[list[int]] = field(default_factory=list)
    final: list[Any] = field(default_factory=list)


def clients_for(federation: Federation, byzantine: int | None) -> list[Hospital]:
    return [ByzantineHospital(s) if i == byzantine else Hospital(s) for i, s in enumerate(federation.splits)]


def create_task(federation: Federation, rule: str, rounds: int, pool: int) -> tuple[int, int]:
    coordinator = federation.coordinator
    contract = fl_client(coordinator)
    if pool:
        coordinator.suite.token.approve(contract.address, pool)
    task_id, receipt = contract.create_task(
        federation.model_id,
        str(rules.parse(rule)),
        rounds,
        [h.address for h in federation.hospitals],
        federation.dataset_ids,
        pool,
    )
    return task_id, int(receipt["gasUsed"])


def run_task(
    federation: Federation,
    rule: str,
    rounds: int,
    byzantine: int | None = None,
    pool: int = 1_000 * TOKEN,
    client_wrapper: Callable[[RecordingClient], Any] = lambda c: c,
    strategy_class: type[RecordingStrategy] = RecordingStrategy,
    task_id: int | None = None,
) -> TaskRun:
    """One recorded federation: a task on-chain, `rounds` Flower rounds, each committed and aggregated.
    With `task_id`, an existing task is resumed from what the chain records (after a crash)."""
    create_gas = 0
    if task_id is None:
        task_id, create_gas = create_task(federation, rule, rounds, pool)
    strategy = strategy_class(federation.coordinator, task_id, rule, federation.store)
    done, resumed = strategy.resume()
    rounds = int(fl_client(federation.coordinator).task(task_id)["rounds"])  # a resumed task's own count
    clients = [
        client_wrapper(RecordingClient(inner, session, task_id, federation.store))
        for inner, session in zip(clients_for(federation, byzantine), federation.hospitals, strict=True)
    ]
    run = TaskRun(task_id, str(strategy.rule), [], 0.0, create_gas=create_gas)
    start = time.perf_counter()
    run.final = run_rounds(
        strategy,
        clients,
        resumed if resumed is not None else initial_weights(),
        rounds - done,
        strategy.fit_config,
        lambda _r, p: run.accuracies.append(accuracy(p, federation.test)),
    )
    run.seconds = time.perf_counter() - start
    run.excluded = [r.excluded for r in strategy.rounds]
    receipts = _round_gas(federation, task_id)
    run.update_gas, run.aggregate_gas = receipts
    return run


def run_task_deployed(
    federation: Federation,
    superlink: str,
    rule: str,
    rounds: int,
    pool: int = 1_000 * TOKEN,
    task_id: int | None = None,
) -> TaskRun:
    """The same recorded federation under Flower's deployment engine: the task's rounds run by `flwr run`
    on the SuperLink at `superlink`, whose SuperNodes (aitrail.fl.deployment.SuperNode) are the hospitals.
    Accuracies come from the aggregates on record."""
    from aitrail.fl import deployment

    create_gas = 0
    if task_id is None:
        task_id, create_gas = create_task(federation, rule, rounds, pool)
    result = deployment.run_task(federation.coordinator, task_id, superlink)
    run = TaskRun(task_id, str(rules.parse(rule)), [], result.seconds, create_gas=create_gas)
    strategy = RecordingStrategy(federation.coordinator, task_id, rule, federation.store)
    for _, arrays in recorded_aggregates(strategy):
        run.accuracies.append(accuracy(arrays, federation.test))
        run.final = arrays
    contract = fl_client(federation.coordinator)
    for event in contract.events("AggregateCommitted", taskId=task_id):
        committed, included = int(event["args"]["committedMask"]), int(event["args"]["includedMask"])
        run.excluded.append([i + 1 for i in range(256) if (committed & ~included) >> i & 1])
    run.update_gas, run.aggregate_gas = _round_gas(federation, task_id)
    return run


def recorded_aggregates(strategy: RecordingStrategy) -> list[tuple[int, list[Any]]]:
    """(round, aggregate arrays) of every aggregated round, from the chain and IPFS."""
    done = int(fl_client(strategy.session).task(strategy.task_id)["aggregatedRounds"])
    return [(round_, strategy.aggregate_of(round_)) for round_ in range(1, done + 1)]


def run_plain(federation: Federation, rule: str, rounds: int, byzantine: int | None = None) -> TaskRun:
    """The same federation under plain Flower: Flower's strategy and the bare clients, nothing recorded."""
    strategy = rules.parse(rule).strategy()
    run = TaskRun(0, rule, [], 0.0)
    start = time.perf_counter()
    run.final = run_rounds(
        strategy,
        clients_for(federation, byzantine),
        initial_weights(),
        rounds,
        lambda r: {"server_round": r},
        lambda _r, p: run.accuracies.append(accuracy(p, federation.test)),
    )
    run.seconds = time.perf_counter() - start
    return run


def _round_gas(federation: Federation, task_id: int) -> tuple[list[int], list[int]]:
    contract = fl_client(federation.coordinator)
    w3 = federation.coordinator.w3

    def gas(events: list[Any]) -> list[int]:
        return [int(w3.eth.get_transaction_receipt(e["transactionHash"])["gasUsed"]) for e in events]

    return (
        gas(contract.events("UpdateCommitted", taskId=task_id)),
        gas(contract.events("AggregateCommitted", taskId=task_id)),
    )


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def accuracy_table(runs: list[TaskRun]) -> str:
    header = "round  " + "  ".join(f"{r.rule:>22}" for r in runs)
    rows = [
        f"{i + 1:>5}  " + "  ".join(f"{r.accuracies[i]:>22.3f}" for r in runs)
        for i in range(len(runs[0].accuracies))
    ]
    return "\n".join([header, *rows])


def main(
    rounds: int = 5,
    rule: str = "MultiKrum f=1 keep=4",
    echo: Callable[[str], None] = print,
    engine: str = "inprocess",
) -> None:
    """`aitrail fl demo`: everything in a fresh temporary folder, a fresh Anvil, the js-ipfs node if any.
    With `engine="deployment"` the rounds run on Flower's SuperLink with a SuperNode process per hospital."""
    import shutil

    from aitrail.chain.local import LocalChain
    from aitrail.fl import audit, deployment
    from aitrail.fl.lineage import publish_final
    from aitrail.storage.jsipfs import JsIpfsNode, JsIpfsUnavailable

    rules.parse(rule)  # a bad rule fails before anything starts
    root = Path(tempfile_dir())
    chain = LocalChain(root / "chain", port=_free_port())
    node = None
    link: deployment.SuperLink | None = None
    nodes: list[deployment.SuperNode] = []
    try:
        echo(f"chain {chain.ensure()} (a fresh Anvil for this run)")
        try:
            node = JsIpfsNode.start()
            kind, api = "kubo", node.api_url
            echo(f"store: a real IPFS node (js-ipfs, Kubo RPC at {api}), shared by the six homes")
        except JsIpfsUnavailable as exc:
            if engine == "deployment":
                # The SuperNodes' ClientApps are other processes: they cannot share this one's store.
                raise AitrailError(
                    f"the deployment engine needs a shared IPFS node, and none starts ({exc})"
                ) from None
            kind, api = "local", None
            echo(f"store: the embedded store, one for all homes ({exc})")
        echo(
            "Five hospitals register their own split of the breast-cancer data, each in its own home:"
        )
        federation = build_federation(root, chain.url, kind, api, log=echo, keep_data=engine == "deployment")
        echo(f"Hospital 5 is Byzantine: it sends global - {BYZANTINE_SCALE:g} x its honest step.")
        if engine == "deployment":
            link = deployment.SuperLink.start(root / "superlink")
            nodes = deployment.SuperNode.start_many(
                federation.hospitals, link.address, federation.data, byzantine=4
            )
            echo(
                f"Flower deployment engine: SuperLink at {link.address} (pid {link.process.pid}), "
                f"SuperNodes pids {', '.join(str(n.process.pid) for n in nodes)}, one per hospital home"
            )
        runs = []
        for each in ("FedAvg", rule):
            if link is None:
                run = run_task(federation, each, rounds, byzantine=4)
            else:
                run = run_task_deployed(federation, link.address, each, rounds)
            report = audit.verify(federation.coordinator, run.task_id)
            runs.append(run)
            excluded = sorted({i for r in run.excluded for i in r})
            echo(
                f"task {run.task_id} ({run.rule}): excluded on-chain {excluded or 'nobody'}; "
                f"`aitrail fl verify {run.task_id}`: {'ok' if report.ok else 'FAILED'}"
            )
        echo("\nGlobal accuracy on the held-out fifth, per round:")
        echo(accuracy_table(runs))
        robust = runs[1]
        echo(
            f"\nGas: createTask {robust.create_gas:,} (5 participants); commitUpdate "
            f"{max(robust.update_gas):,} per participant per round; commitAggregate "
            f"{max(robust.aggregate_gas):,} per round ({max(robust.aggregate_gas) // 5:,} per participant)"
        )
        contract = fl_client(federation.coordinator)
        earned = [contract.participant(robust.task_id, h.address)["earned"] for h in federation.hospitals]
        echo(
            "Rewards earned in task "
            + str(robust.task_id)
            + ": "
            + ", ".join(f"hospital {i + 1} {e / TOKEN:g} TRAIL" for i, e in enumerate(earned))
        )
        published = publish_final(federation.coordinator, robust.task_id)
        echo(
            f"Final aggregate published as {published['model']} version {published['number']} "
            f"(id {published['versionId']}), weights digest {published['weightsDigest'][:18]}…, "
            f"metadata {published['metadata']}"
        )
    finally:
        for each_node in nodes:
            each_node.stop()
        if link is not None:
            link.stop()
        if node is not None:
            node.stop()
        chain.stop()
        shutil.rmtree(root, ignore_errors=True)


def tempfile_dir() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="aitrail-fl-demo-")
