"""The ecosystem's formats from the chain plus IPFS: a dataset's Croissant document, a model version's
Hugging Face card, and a Croissant document read in for a registration. Any party can export: nothing
here needs the owner's home or key."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from aitrail.errors import CroissantError, InputFileError, UnknownModelError
from aitrail.flows._common import day, read_json, require_file, sha256_file
from aitrail.flows.datasets import describe, metadata_of
from aitrail.flows.models import _event_cid, _model_name, lineage
from aitrail.flows.session import Session
from aitrail.formats.croissant import Imported, OnChain, csv_header, from_croissant, to_croissant
from aitrail.formats.model_card import CardFacts, CitedDataset, FederatedFacts, ParentVersion, model_card


def croissant_document(
    session: Session, dataset_id: int, data: Path | None = None, document_dir: Path | None = None
) -> dict[str, Any]:
    """The Croissant 1.1 document of dataset `dataset_id`. With `data` (a decrypted copy, checked here
    against the on-chain sha256) the file's contentUrl is that copy, relative to `document_dir` (where
    the document will be written), and a CSV's header gives the record set."""
    registry = session.suite.datasets
    record = registry.get(dataset_id)
    metadata = metadata_of(session, record, strict=True)
    version, predecessor = 1, record.predecessor
    while predecessor:
        version += 1
        predecessor = registry.get(predecessor).predecessor
    chain = OnChain(
        chain_id=session.chain_id,
        registry=registry.address,
        dataset_id=dataset_id,
        owner=record.owner,
        content_hash=record.content_hash,
        cid=str(record.cid),
        metadata_cid=str(record.metadata_cid),
        registered_on=day(record.registered_at),
        version=version,
    )
    content_url, header = None, None
    if data is not None:
        if sha256_file(require_file(data)) != record.content_hash:
            raise InputFileError(
                str(data), f"is not dataset {dataset_id}: its sha256 differs from the chain's"
            )
        content_url = os.path.relpath(data.resolve(), (document_dir or Path.cwd()).resolve())
        if data.suffix.lower() == ".csv":
            with data.open("rb") as handle:
                header = csv_header(handle.readline())
    return to_croissant(chain, metadata, content_url=content_url, header=header)


def read_croissant(path: Path, data: Path) -> Imported:
    """A Croissant document to register `data` with; refused if it names a different file's sha256."""
    try:
        doc = json.loads(require_file(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CroissantError(str(path), f"not JSON ({exc})") from None
    imported = from_croissant(doc, str(path))
    if imported.sha256 is not None and data.is_file() and sha256_file(data).hex() != imported.sha256:
        raise CroissantError(str(path), f"its file's sha256 is {imported.sha256}, not that of {data}")
    return imported


def model_card_of(session: Session, reference: str) -> str:
    """The Hugging Face model card of one version (`NAME@VERSION`; without @, the latest version)."""
    models, registry = session.suite.models, session.suite.datasets
    line = lineage(session, reference)
    if not line.versions:
        raise UnknownModelError(reference, "it has no published version")
    version = line.versions[-1]  # with @VERSION the only one, else the latest
    version_id = version.version_id
    (event,) = models.events("VersionPublished", versionId=version_id)
    artifact, metadata_cid = _event_cid(event["args"]["artifact"]), _event_cid(event["args"]["metadata"])
    metadata = read_json(session.store, metadata_cid, f"version {version_id}'s metadata")
    datasets = []
    for dataset_id in version.datasets:
        shown = describe(session, dataset_id, strict=False)
        datasets.append(
            CitedDataset(
                dataset_id,
                f"eip155:{session.chain_id}:{registry.address}/{dataset_id}",
                shown.name,
                shown.license,
            )
        )
    parents = []
    for parent_id in version.parents:
        parent = models.version(parent_id)
        parents.append(
            ParentVersion(
                parent_id,
                f"eip155:{session.chain_id}:{models.address}/{parent_id}",
                _model_name(session, parent["modelId"]),
                parent["number"],
            )
        )
    onchain = models.version(version_id)
    federated = None
    for log in models.events("VersionTrainedFederated", versionId=version_id):
        federated = FederatedFacts(
            int(log["args"]["taskId"]), int(log["args"]["rounds"]), models.federated_training()
        )
    return model_card(
        CardFacts(
            model=line.model,
            model_id=line.model_id,
            owner=line.owner,
            version_id=version_id,
            number=version.number,
            publisher=version.publisher,
            weights_digest=version.weights_digest,
            artifact=str(artifact),
            metadata_cid=str(metadata_cid),
            chain_id=session.chain_id,
            registry=models.address,
            published_on=day(onchain["publishedAt"]),
            deprecated=bool(onchain["deprecated"]),
            datasets=datasets,
            parents=parents,
            metrics=dict(metadata.get("metrics") or {}),
            parameters=dict(metadata.get("parameters") or {}),
            federated=federated,
        )
    )
