"""Publish a task's final aggregate as a model version citing every included participant's dataset on-chain.

The weights are one file, the last round's aggregate exactly as committed (aitrail.fl.encoding), so the
version's weights digest (OpenSSF's root digest of a one-file model: SHA-256 of the file's SHA-256) is
SHA-256 of the aggregate digest on-chain. FederatedTraining reserved that digest in the ModelRegistry when
the last round was committed, and `publishFinalModel` is the only way to take it: the coordinator cannot cite
the hospitals' datasets for other weights, and nobody else can publish these weights first.

Citations: ModelRegistry lets an ordinary publisher cite only datasets it owns or holds access to, and a
coordinator holds none of the hospitals' (that is the point of federated training). FederatedTraining
attests them instead: it checked each participant's access at every update it committed, and it cites
exactly the datasets of participants whose updates were included in at least one round (an excluded
participant's data is not in the model). Access that ended, or a dataset withdrawn, after an included
update does not remove the citation: the data is in the model, and the audit shows the withdrawal.

The metadata lists the task, the rule, every round (aggregate digest, manifest CID, included and excluded
participants) and every participant with its dataset. The publication is simulated (eth_call) before
anything is uploaded, so a refused one leaves nothing behind; a re-run after it went through finds the
version on-chain and sends nothing.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from aitrail.cid import CID
from aitrail.errors import AitrailError
from aitrail.fl import audit
from aitrail.fl.recording import fl_client
from aitrail.flows._common import read_json, read_published
from aitrail.flows.models import add_version_metadata, weights_digest
from aitrail.results import Published

if TYPE_CHECKING:
    from aitrail.flows.session import Session

WEIGHTS_FILE = "aggregate.aitrail-fl"
# Stands in for the CIDs while the publication is simulated: the contracts check only their kind.
_PLACEHOLDER = CID.decode("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e")


def final_weights_digest(aggregate_digest: bytes) -> bytes:
    """The weights digest of the one-file model holding an aggregate, as FederatedTraining reserves it."""
    return hashlib.sha256(aggregate_digest).digest()


def publish_final(session: Session, task_id: int, name: str | None = None) -> Published:
    session.require_signer()
    contract = fl_client(session)
    report = audit.show(session, task_id)
    if report.coordinator.lower() != session.address.lower():
        raise AitrailError(f"only task {task_id}'s coordinator {report.coordinator} publishes its model")
    if not report.round_reports:
        raise AitrailError(f"task {task_id} has no aggregated round to publish")
    model_name = _model_name(session, report.model_id)
    if name is not None and name != model_name:
        raise AitrailError(f"task {task_id} trains model {model_name!r}: its final model is a version of it")
    last = report.round_reports[-1]
    weights = final_weights_digest(bytes.fromhex(last.aggregate_digest[2:]))
    models = session.suite.models
    earlier = _earlier_publication(session, task_id, weights)
    if earlier is not None:
        return earlier
    cited = sorted(
        {
            int(p["dataset"])
            for p in report.participants
            if contract.participant(task_id, str(p["participant"]))["includedRounds"] > 0
        }
    )
    # The contracts decide (not finished, not the coordinator, other weights, a taken digest...): asked
    # before anything is uploaded.
    session.sender.call(
        contract.contract.functions.publishFinalModel(
            task_id, weights, _PLACEHOLDER.to_onchain(), _PLACEHOLDER.to_onchain(), cited
        )
    )
    manifest = read_json(session.store, CID.decode(last.manifest), f"the round-{last.round} manifest")
    data = read_published(session.store, CID.decode(str(manifest["aggregate"])), "the aggregate")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model"
        path.mkdir()
        (path / WEIGHTS_FILE).write_bytes(data)
        digest, per_file = weights_digest(path)
        if digest != weights:
            raise AitrailError(
                f"the aggregate read from the store does not hash to round {last.round}'s committed digest"
            )
        artifact = session.store.add_path(path, show_progress=False)
    parameters = {
        "federatedTask": task_id,
        "federatedTraining": str(contract.address),
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
        "citedDatasets": cited,
        "participants": [
            {"participant": p["participant"], "dataset": p["dataset"]} for p in report.participants
        ],
    }
    metadata = add_version_metadata(session, model_name, digest, per_file, cited, [], {}, parameters)
    receipt = contract.publish_final(task_id, weights, artifact, metadata, cited)
    (event,) = models.receipt_events(receipt, "VersionPublished")
    return Published(
        model=model_name,
        model_id=report.model_id,
        version_id=int(event["args"]["versionId"]),
        number=int(event["args"]["number"]),
        weights_digest="0x" + weights.hex(),
        artifact=str(artifact),
        metadata=str(metadata),
        tx=receipt["transactionHash"].to_0x_hex(),
    )


def _earlier_publication(session: Session, task_id: int, weights: bytes) -> Published | None:
    """The version an earlier run published for this task, or None (the chain refuses other cases)."""
    models = session.suite.models
    version_id = models.version_by_digest(weights)
    if not version_id:
        return None
    trained = models.events("VersionTrainedFederated", versionId=version_id)
    if not any(int(e["args"]["taskId"]) == task_id for e in trained):
        return None  # taken by another publication: the simulated call names it
    (event,) = models.events("VersionPublished", versionId=version_id)
    args = event["args"]
    model_id = int(args["modelId"])
    return Published(
        model=_model_name(session, model_id),
        model_id=model_id,
        version_id=version_id,
        number=int(args["number"]),
        weights_digest="0x" + weights.hex(),
        artifact=str(CID.from_onchain(bytes(args["artifact"]["digest"]), int(args["artifact"]["kind"]))),
        metadata=str(CID.from_onchain(bytes(args["metadata"]["digest"]), int(args["metadata"]["kind"]))),
        tx=event["transactionHash"].to_0x_hex(),
    )


def _model_name(session: Session, model_id: int) -> str:
    events = session.suite.models.events("ModelRegistered", modelId=model_id)
    if not events:
        raise AitrailError(f"model {model_id} does not exist")
    return str(events[0]["args"]["name"])
