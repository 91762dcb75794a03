"""The lineage an audit report draws: dataset versions → model versions trained on them → versions derived
from those, with withdrawals flagged. Nodes and edges only (the report lays them out); read through the
suite's event queries, so inside an audit it reads the event index."""

from __future__ import annotations

from typing import Any

from aitrail.flows.models import _model_name
from aitrail.flows.session import Session

TRAINED_ON = "trained on"
# A federated task's final model: its citations were attested by FederatedTraining, not checked against
# the publisher's own access, so the edge says so.
TRAINED_FEDERATED = "trained on (federated, attested by FederatedTraining)"

MAX_DEPTH = 6  # derived-of-derived generations drawn from each cited version


class _Graph:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: list[dict[str, str]] = []
        self._names: dict[int, str] = {}
        self._tasks: dict[int, tuple[int, int] | None] = {}

    def task(self, version_id: int) -> tuple[int, int] | None:
        """(task id, rounds) of a federated task's final model, else None."""
        if version_id not in self._tasks:
            self._tasks[version_id] = None
            for log in self.session.suite.models.events("VersionTrainedFederated", versionId=version_id):
                self._tasks[version_id] = (int(log["args"]["taskId"]), int(log["args"]["rounds"]))
        return self._tasks[version_id]

    def trained_on(self, dataset_id: int, version_id: int) -> None:
        kind = TRAINED_ON if self.task(version_id) is None else TRAINED_FEDERATED
        self.edge(self.dataset(dataset_id), self.version(version_id), kind)

    def dataset(self, dataset_id: int) -> str:
        key = f"dataset:{dataset_id}"
        if key not in self.nodes:
            reg = self.session.suite.datasets
            withdrawn = bool(reg.events("DatasetWithdrawn", datasetId=dataset_id))
            records = sum(
                len(e["args"]["leaves"]) for e in reg.events("RecordsWithdrawn", datasetId=dataset_id)
            )
            notes = (["WITHDRAWN"] if withdrawn else []) + (
                [f"{records} record(s) withdrawn"] if records else []
            )
            self.nodes[key] = {
                "id": key,
                "kind": "dataset",
                "label": f"dataset {dataset_id}",
                "notes": notes,
                "flagged": withdrawn or records > 0,
            }
        return key

    def version(self, version_id: int) -> str:
        key = f"version:{version_id}"
        if key not in self.nodes:
            version = self.session.suite.models.version(version_id)
            model_id = int(version["modelId"])
            if model_id not in self._names:
                self._names[model_id] = _model_name(self.session, model_id)
            task = self.task(version_id)
            self.nodes[key] = {
                "id": key,
                "kind": "model",
                "label": f"{self._names[model_id]} v{version['number']}",
                "notes": [f"version id {version_id}"]
                + ([f"federated task {task[0]}, {task[1]} rounds"] if task else [])
                + (["deprecated"] if version["deprecated"] else []),
                "flagged": False,
            }
        return key

    def edge(self, source: str, target: str, kind: str) -> None:
        item = {"from": source, "to": target, "kind": kind}
        if item not in self.edges:
            self.edges.append(item)

    def derived(self, version_id: int, depth: int = 0) -> None:
        if depth >= MAX_DEPTH:
            return
        for log in self.session.suite.models.events("VersionDerived", parentVersionId=version_id):
            child = int(log["args"]["versionId"])
            self.edge(self.version(version_id), self.version(child), "derived")
            self.derived(child, depth + 1)

    def flag(self, flags: list[dict[str, Any]]) -> None:
        for flag in flags:
            node = self.nodes.get(f"version:{flag['versionId']}")
            if node is not None:
                node["flagged"] = True
                node["notes"].append("cites withdrawn records")

    def result(self) -> dict[str, Any]:
        return {"nodes": list(self.nodes.values()), "edges": self.edges}


def dataset_lineage(session: Session, dataset_id: int, flags: list[dict[str, Any]]) -> dict[str, Any]:
    reg, models = session.suite.datasets, session.suite.models
    predecessor: dict[int, int] = {}
    for log in reg.events("DatasetRegistered"):
        predecessor[int(log["args"]["datasetId"])] = int(log["args"]["predecessor"])
    root = dataset_id
    while predecessor.get(root, 0):
        root = predecessor[root]
    family = [d for d in sorted(predecessor) if _root_of(d, predecessor) == root]
    graph = _Graph(session)
    for version in family:
        node = graph.dataset(version)
        if predecessor.get(version):
            graph.edge(graph.dataset(predecessor[version]), node, "new version")
    for version in family:
        for log in models.events("DatasetCited", datasetId=version):
            cited = int(log["args"]["versionId"])
            graph.trained_on(version, cited)
            graph.derived(cited)
    graph.nodes[f"dataset:{dataset_id}"]["focus"] = True
    graph.flag(flags)
    return graph.result()


def _root_of(dataset_id: int, predecessor: dict[int, int]) -> int:
    while predecessor.get(dataset_id, 0):
        dataset_id = predecessor[dataset_id]
    return dataset_id


def model_lineage(session: Session, model_id: int, flags: list[dict[str, Any]]) -> dict[str, Any]:
    models = session.suite.models
    graph = _Graph(session)
    for log in models.events("VersionPublished", modelId=model_id):
        version_id = int(log["args"]["versionId"])
        node = graph.version(version_id)
        graph.nodes[node]["focus"] = True
        for cite in models.events("DatasetCited", versionId=version_id):
            graph.trained_on(int(cite["args"]["datasetId"]), version_id)
        for parent in models.events("VersionDerived", versionId=version_id):
            graph.edge(graph.version(int(parent["args"]["parentVersionId"])), node, "derived")
        graph.derived(version_id)
    graph.flag(flags)
    return graph.result()
