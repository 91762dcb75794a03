"""The auditor's trail of a dataset or a model, rebuilt from chain events alone (nothing off-chain is
trusted). The dataset trail is built once in aitrail/trail.py, over a source: here the session's clients
(SessionSource); `aitrail audit dataset` reads the same trail over plain JSON-RPC (aitrail/index/view.py).

Both audits read the event index (aitrail/index), synced first unless `sync=False`: a re-audit reads only
the blocks that are new since the last one, and an audit of one dataset or model only that one's rows
(topic columns of the index). The result's "index" entry says up to which block the trail is complete.
Without the index serving (the full re-scan the bench and the tests compare with), every event query is
an eth_getLogs through web3."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from web3.types import EventData

from aitrail import trail as _trail
from aitrail.chain.contracts import DatasetRecord, _Client
from aitrail.flows._common import BlockClock, tokens
from aitrail.flows.access import purpose_text
from aitrail.flows.datasets import metadata_of
from aitrail.flows.lineage_graph import dataset_lineage, model_lineage
from aitrail.flows.models import _model_name, resolve_model
from aitrail.flows.records import stale_citations
from aitrail.flows.session import Session
from aitrail.index import EventIndex
from aitrail.trail import KNOWN_ACCOUNTS, StrangerSummary, citation_text, ordered, rows_of, trail_table

Describe = Callable[[dict[str, Any]], str]


def _rows(
    session: Session,
    client: _Client,
    event: str,
    describe: Describe,
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    logs: Sequence[Any] | None = None,
    **filters: Any,
) -> list[dict[str, Any]]:
    found = client.events(event, **filters) if logs is None else logs
    return rows_of(SessionSource(session), event, describe, found, extra)


def indexed(
    session: Session, build: Callable[[], dict[str, Any]], sync: bool, confirmations: int | None
) -> dict[str, Any]:
    """Run `build` with the suite's event queries served by the index (synced first when `sync`)."""
    index = EventIndex.for_session(session, confirmations)
    try:
        if sync:
            result = index.sync()
            state = {"synced": True, "syncedTo": result.synced_to, "finality": result.finality,
                     "newLogs": result.new_logs}
        else:
            state = {"synced": False, "syncedTo": index.synced_to(), "finality": "not synced by this audit"}
        with index.serving(session.suite):
            trail = build()
        trail["index"] = state
        return trail
    finally:
        index.close()


def dataset_trail(
    session: Session,
    dataset_id: int,
    *,
    sync: bool = True,
    confirmations: int | None = None,
    lineage: bool = False,
) -> dict[str, Any]:
    """The dataset's trail from the event index (see the module's docstring); with `lineage`, also the
    graph a report draws (dataset versions, models trained on them, derived models)."""

    def build() -> dict[str, Any]:
        trail = _dataset_trail(session, dataset_id)
        if lineage:
            trail["lineage"] = dataset_lineage(session, dataset_id, trail["flags"])
        return trail

    return indexed(session, build, sync, confirmations)


class SessionSource:
    """A TrailSource over the session's clients: the event index while it serves them, else web3."""

    def __init__(self, session: Session) -> None:
        self.session = session
        suite = session.suite
        self.clients: dict[str, _Client] = {
            "datasets": suite.datasets,
            "models": suite.models,
            "rewards": suite.rewards,
            "market": suite.market,
        }
        if suite.fl is not None:
            self.clients["fl"] = suite.fl
        source = suite.datasets.log_source
        self.index = source if isinstance(source, EventIndex) else None
        self._clock: Callable[[int], int] = (
            source.block_time if source is not None else BlockClock(session.w3)
        )

    def events(self, contract: str, name: str, **filters: Any) -> list[Any]:
        return list(self.clients[contract].events(name, **filters))

    def block_time(self, number: int) -> int:
        return self._clock(number)

    def tx_to(self, tx_hash: bytes) -> str:
        if self.index is not None:
            return self.index.tx_to(tx_hash)
        return str(self.session.w3.eth.get_transaction(tx_hash).get("to") or "")  # type: ignore[arg-type]

    def registry_address(self) -> str:
        return str(self.clients["datasets"].address)

    def has(self, contract: str) -> bool:
        return contract in self.clients

    @cache  # noqa: B019 - one source per audit: the record is read once, not twice
    def _record(self, dataset_id: int) -> DatasetRecord:
        return self.session.suite.datasets.get(dataset_id)

    def dataset_state(self, dataset_id: int) -> tuple[str, bool]:
        record = self._record(dataset_id)
        return record.owner, record.withdrawn

    def dataset_name(self, dataset_id: int) -> str | None:
        name = metadata_of(self.session, self._record(dataset_id)).get("name")
        return None if name is None else str(name)

    def purpose(self, ref: bytes) -> str:
        return purpose_text(self.session, ref)

    def citation(self, version_id: int) -> str:
        return _citation(self.session, version_id)

    def stale_citations(self, dataset_id: int) -> list[dict[str, Any]]:
        return stale_citations(self.session, dataset_id)

    def tail(self, contract: str, name: str, newest: int, **filters: Any) -> tuple[int, list[Any]] | None:
        if self.index is None:
            return None
        return self.index.tail(self.clients[contract], name, filters, newest)

    def attempts(self, dataset_id: int, newest: int | None = None) -> tuple[int, list[Any]] | None:
        if self.index is None:
            return None
        return self.index.attempts(self.clients["datasets"], dataset_id, KNOWN_ACCOUNTS, newest=newest)

    def stranger_summary(self, dataset_id: int) -> StrangerSummary | None:
        if self.index is None:
            return None
        return self.index.stranger_summary(self.clients["datasets"], dataset_id, KNOWN_ACCOUNTS)


def _dataset_trail(session: Session, dataset_id: int) -> dict[str, Any]:
    return _trail.dataset_trail(SessionSource(session), dataset_id)


def _citation(session: Session, version_id: int) -> str:
    version = session.suite.models.version(version_id)
    task = federated_task(session, version_id)
    name = _model_name(session, version["modelId"])
    return citation_text(name, version["number"], version_id, None if task is None else task[0])


def federated_task(session: Session, version_id: int) -> tuple[int, int] | None:
    """(task id, rounds) if the version is a federated task's final model, whose citations
    FederatedTraining attested (ModelRegistry's VersionTrainedFederated), else None."""
    for log in session.suite.models.events("VersionTrainedFederated", versionId=version_id):
        return int(log["args"]["taskId"]), int(log["args"]["rounds"])
    return None


def model_trail(
    session: Session,
    reference: str,
    *,
    sync: bool = True,
    confirmations: int | None = None,
    lineage: bool = False,
) -> dict[str, Any]:
    """The model's trail from the event index (see the module's docstring); with `lineage`, the graph."""

    def build() -> dict[str, Any]:
        trail = _model_trail(session, reference)
        if lineage:
            trail["lineage"] = model_lineage(session, trail["modelId"], trail["flags"])
        return trail

    return indexed(session, build, sync, confirmations)


def _model_trail(session: Session, reference: str) -> dict[str, Any]:
    model_id, _ = resolve_model(session, reference)
    suite = session.suite
    models, rewards = suite.models, suite.rewards
    m: dict[str, Any] = {"modelId": model_id}
    rows = _rows(
        session, models, "ModelRegistered", lambda a: f"model {a['name']!r} registered by {a['owner']}", **m
    )
    rows += _rows(
        session, models, "ModelTransferred", lambda a: f"owner {a['previousOwner']} → {a['newOwner']}", **m
    )
    versions = [int(e["args"]["versionId"]) for e in models.events("VersionPublished", modelId=model_id)]
    rows += _rows(
        session,
        models,
        "VersionPublished",
        lambda a: (
            f"version {a['number']} (id {a['versionId']}) published by {a['publisher']}, weights "
            f"0x{bytes(a['weightsDigest']).hex()[:16]}…"
        ),
        **m,
    )
    federated = []
    for version_id in versions:
        v: dict[str, Any] = {"versionId": version_id}
        task = federated_task(session, version_id)
        how = "" if task is None else f" (federated task {task[0]}: attested by FederatedTraining)"

        def cited(a: dict[str, Any], how: str = how) -> str:
            return f"version id {a['versionId']} trained on dataset {a['datasetId']}{how}"

        rows += _rows(session, models, "DatasetCited", cited, **v)
        if task is not None:
            federated.append(
                {
                    "versionId": version_id,
                    "taskId": task[0],
                    "rounds": task[1],
                    "federatedTraining": models.federated_training(),
                }
            )
            rows += _rows(
                session,
                models,
                "VersionTrainedFederated",
                lambda a: (
                    f"version id {a['versionId']} is the final aggregate of federated task {a['taskId']} "
                    f"({a['rounds']} rounds); FederatedTraining checked every participant's access at each "
                    "update and attests its datasets"
                ),
                **v,
            )
        rows += _rows(
            session,
            models,
            "VersionDerived",
            lambda a: f"version id {a['versionId']} derived from version id {a['parentVersionId']}",
            **v,
        )
        rows += _rows(
            session,
            models,
            "VersionDerived",
            lambda a: (
                f"version id {a['versionId']} (another model) derived from version id {a['parentVersionId']}"
            ),
            parentVersionId=version_id,
        )
        rows += _rows(
            session,
            rewards,
            "RewardCredited",
            lambda a: f"{tokens(a['amount'])} credited to {a['owner']} (owner of dataset {a['datasetId']})",
            **v,
        )
    rows += _rows(
        session, models, "VersionDeprecated", lambda a: f"version id {a['versionId']} deprecated", **m
    )
    rows += _rows(
        session,
        models,
        "AliasMoved",
        lambda a: (
            f"alias {bytes(a['alias_']).rstrip(bytes(1)).decode(errors='replace')!r} → "
            f"version id {a['versionId']}"
        ),
        **m,
    )
    flags = []
    for version_id in versions:
        for log in models.events("DatasetCited", versionId=version_id):
            flags += stale_citations(session, int(log["args"]["datasetId"]), version_id)
    return {
        "federated": federated,
        "flags": flags,
        "model": _model_name(session, model_id),
        "modelId": model_id,
        "owner": models.model(model_id)["owner"],
        "trail": ordered(rows),
    }


__all__ = ["EventData", "dataset_trail", "model_trail", "trail_table"]
