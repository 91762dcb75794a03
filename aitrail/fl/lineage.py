"""Publish a task's final aggregate as a model version whose metadata carries the federated lineage.

The weights file is the last round's aggregate exactly as committed (aitrail.fl.encoding), so the version's
weights digest, the on-chain aggregate digest and the bytes on IPFS all name the same thing. The metadata
lists the task, the rule, every round (aggregate digest, manifest CID, included participants) and every
participant's dataset.

On-chain citations: ModelRegistry lets a publisher cite only datasets it owns or holds access to, and a
coordinator holds none of the hospitals' datasets (that is the point of federated training). The datasets
are therefore cited in the metadata, and the on-chain proof that each was trained on by someone entitled
to is FederatedTraining's own check at task creation and at every update. A coordinator that does hold
access (or owns a dataset) has those cited on-chain as well.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from aitrail.cid import CID
from aitrail.errors import AitrailError
from aitrail.fl import audit
from aitrail.fl.recording import fl_client
from aitrail.flows._common import read_json, read_published
from aitrail.results import Published

if TYPE_CHECKING:
    from aitrail.flows.session import Session


def publish_final(session: Session, task_id: int, name: str | None = None) -> Published:
    from aitrail import flows

    session.require_signer()
    report = audit.show(session, task_id)
    if report.coordinator.lower() != session.address.lower():
        raise AitrailError(f"only task {task_id}'s coordinator {report.coordinator} publishes its model")
    if not report.round_reports:
        raise AitrailError(f"task {task_id} has no aggregated round to publish")
    last = report.round_reports[-1]
    manifest = read_json(session.store, CID.decode(last.manifest), f"the round-{last.round} manifest")
    data = read_published(session.store, CID.decode(str(manifest["aggregate"])), "the aggregate")
    model_name = name or _model_name(session, report.model_id)
    datasets = sorted(p["dataset"] for p in report.participants)
    citable = [d for d in datasets if session.suite.datasets.has_access(d, session.address)]
    lineage = {
        "federatedTask": task_id,
        "federatedTraining": str(fl_client(session).address),
        "rule": report.rule,
        "rounds": [
            {
                "round": r.round,
                "aggregateDigest": r.aggregate_digest,
                "manifest": r.manifest,
                "included": r.included,
                "excluded": r.excluded,
            }
            for r in report.round_reports
        ],
        "trainingDatasets": datasets,
        "participants": [
            {"participant": p["participant"], "dataset": p["dataset"]} for p in report.participants
        ],
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model"
        path.mkdir()
        (path / "aggregate.aitrail-fl").write_bytes(data)
        return flows.publish_model(session, model_name, path, citable, params=lineage)


def _model_name(session: Session, model_id: int) -> str:
    events = session.suite.models.events("ModelRegistered", modelId=model_id)
    if not events:
        raise AitrailError(f"model {model_id} does not exist")
    return str(events[0]["args"]["name"])
