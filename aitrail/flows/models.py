"""ML engineer flows: publish a model version citing its datasets, verify weights, read lineage.

Weights digest: the root digest of OpenSSF model signing (`model_signing`, file serialization with
SHA-256, its default ignore rules), so a model-signing signature and the chain name the same bytes.
SHA-256 of every regular file under the model path (a single file counts as one), keyed by its relative
path with `/` separators, directories not listed, the top-level `.git/`, `.github/`, `.gitattributes`
and `.gitignore` ignored (model-signing's git paths; deeper ones are model files), symbolic links
refused; the digest is SHA-256 over the per-file digests concatenated in path order, a path compared
component by component (model-signing sorts paths, not strings: `a/b` before `a-b/x`). Anyone can
recompute it and ask the chain "is this a published version, and of which model?".
tests/formats/test_model_signing.py checks it against model-signing itself.

Publishing is commit-reveal on-chain (so nobody can copy a pending publication and take the digest), in
one call here: commit to keccak256(publisher, digest, salt), upload, wait the registry's
MIN_COMMIT_AGE, publish with the salt. The salt is derived from the publisher's signature over the
digest (deterministic, known only to the key holder), so a re-run after a crash between the steps finds
its own commitment on-chain and goes on, with no file to keep and nothing sent twice.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_account.messages import encode_defunct
from hexbytes import HexBytes
from web3 import Web3

from aitrail.chain.accounts import checked_address
from aitrail.chain.reverts import MESSAGES
from aitrail.cid import CID
from aitrail.errors import (
    AitrailError,
    ContractRevertError,
    InputFileError,
    NotPublishedError,
    UnknownModelError,
)
from aitrail.flows._common import (
    add_json,
    commit_once,
    day,
    read_json,
    require_file,
    reveal_when_ready,
    sha256_file,
)
from aitrail.flows.session import Session
from aitrail.results import Lineage, LineageVersion, ModelMatch, Published

# model-signing's `ignore_git_paths` (on by default): these names, at the top of the model only.
IGNORED_AT_ROOT = frozenset({".git", ".github", ".gitattributes", ".gitignore"})


def model_files(path: Path) -> list[tuple[str, Path]]:
    """The files a weights digest covers, in digest order (see the module docstring)."""
    if not path.exists():
        raise InputFileError(str(path), "file not found")
    if path.is_symlink():
        raise InputFileError(str(path), "is a symbolic link; publish what it points to")
    if path.is_file():
        return [(path.name, path)]
    files = []
    for item in path.rglob("*"):
        rel = item.relative_to(path)
        if rel.parts[0] in IGNORED_AT_ROOT:
            continue
        if item.is_symlink():
            raise InputFileError(str(item), "is a symbolic link: model signing does not follow them")
        if item.is_file():
            files.append((rel.as_posix(), item))
    if not files:
        raise InputFileError(str(path), "no model files in this directory")
    return sorted(files, key=lambda entry: entry[0].split("/"))


def weights_digest(path: Path) -> tuple[bytes, dict[str, str]]:
    files = model_files(path)
    per_file = {rel: sha256_file(item).hex() for rel, item in files}
    root = hashlib.sha256(b"".join(bytes.fromhex(per_file[rel]) for rel, _ in files)).digest()
    return root, per_file


def publish_model(
    session: Session,
    name: str,
    path: Path,
    datasets: list[int],
    parents: list[int] | None = None,
    metrics_file: Path | None = None,
    params: dict[str, Any] | None = None,
    signature: tuple[Path, Path] | None = None,
) -> Published:
    """Publish `path` as the next version of `name`. `signature` (an OpenSSF model-signing bundle and
    the signer's public key) is checked before anything is sent and recorded in the metadata."""
    session.require_signer()
    digest, per_file = weights_digest(path)
    signed = None
    if signature is not None:
        from aitrail.formats.model_signature import check_signature

        signed = check_signature(path, signature[0], signature[1], digest)
    metrics: dict[str, Any] = {}
    if metrics_file is not None:
        try:
            metrics = json.loads(require_file(metrics_file).read_text())
        except json.JSONDecodeError as exc:
            raise InputFileError(str(metrics_file), f"not JSON: {exc.msg}") from None
    models = session.suite.models
    existing = models.version_by_digest(digest)
    if existing:
        earlier = _own_publication(session, name, existing)
        if earlier is not None:  # a re-run after the publication went through: report it, send nothing
            return earlier
        raise AitrailError(
            f"{path} is already published as version {existing} (model {models.version(existing)['modelId']})"
        )
    task = models.reserved_for(digest)
    if task:  # a federated task's final model: publishVersion would refuse it after the commit and upload
        raise ContractRevertError(
            MESSAGES["ModelDigestReserved"]((digest, task)), "ModelDigestReserved", {"taskId": task}
        )
    _check_citations(session, datasets, parents or [])
    # Committed before anything is uploaded, so the digest is claimed before the files can be seen.
    salt = commit_salt(session, digest)
    _commit(session, commitment(session.address, digest, salt))
    artifact = session.store.add_path(path, show_progress=False)
    signature_doc = {}
    if signature is not None and signed is not None:
        signature_doc = {
            "signature": {
                "scheme": "OpenSSF model signing, elliptic-curve key (Sigstore bundle)",
                "bundle": str(session.store.add_bytes(signature[0].read_bytes(), cid_version=1)),
                "publicKey": str(session.store.add_bytes(signature[1].read_bytes(), cid_version=1)),
                "publicKeySha256": signed.public_key_sha256,
            }
        }
    metadata = add_version_metadata(
        session, name, digest, per_file, sorted(datasets), sorted(parents or []), metrics, params or {},
        signature_doc,
    )
    model_id = models.model_id(session.address, name)
    if model_id == 0:
        model_id, _ = models.register(name)
    version_id, number, receipt = reveal_when_ready(
        session,
        lambda: models.publish(model_id, digest, salt, artifact, metadata, datasets, parents or []),
        "ModelCommitmentTooRecent",
        models.min_commit_age(),
    )
    return Published(
        model=name,
        model_id=model_id,
        version_id=version_id,
        number=number,
        weights_digest="0x" + digest.hex(),
        artifact=str(artifact),
        metadata=str(metadata),
        tx=receipt["transactionHash"].to_0x_hex(),
        signer=signed.public_key_sha256 if signed else None,
    )


def _own_publication(session: Session, name: str, version_id: int) -> Published | None:
    """The result of an earlier run that published `version_id` as `name` of this account, or None."""
    models = session.suite.models
    model_id = models.model_id(session.address, name)
    version = models.version(version_id)
    if model_id == 0 or version["modelId"] != model_id:
        return None
    (event,) = models.events("VersionPublished", versionId=version_id)
    args = event["args"]
    return Published(
        model=name,
        model_id=model_id,
        version_id=version_id,
        number=version["number"],
        weights_digest="0x" + bytes(args["weightsDigest"]).hex(),
        artifact=str(_event_cid(args["artifact"])),
        metadata=str(_event_cid(args["metadata"])),
        tx=event["transactionHash"].to_0x_hex(),
    )


def _event_cid(value: Any) -> CID:
    """A CompactCid from a decoded event: web3 gives named fields for a struct in an event."""
    return CID.from_onchain(bytes(value["digest"]), int(value["kind"]))


def commitment(publisher: str, digest: bytes, salt: bytes) -> bytes:
    """keccak256(abi.encode(publisher, weightsDigest, salt)), as ModelRegistry.publishVersion checks it."""
    return bytes(Web3.keccak(encode(["address", "bytes32", "bytes16"], [publisher, digest, salt])))


def commit_salt(session: Session, digest: bytes) -> bytes:
    """The 16-byte salt for `digest`: the first half of keccak256 of the publisher's signature over it.
    ECDSA signatures here are deterministic (RFC 6979), so every run of the same publisher finds the
    same salt."""
    text = f"aitrail: commit to publishing model weights 0x{digest.hex()}"
    signer = session.signer
    if isinstance(signer, str):  # held by the node
        signature = bytes(HexBytes(session.sender.rpc(lambda: session.w3.eth.sign(signer, text=text))))
    else:
        session.require_signer()
        assert signer is not None
        signature = bytes(signer.sign_message(encode_defunct(text=text)).signature)
    return bytes(Web3.keccak(signature))[:16]


def _commit(session: Session, commitment_: bytes) -> None:
    """Store the commitment unless an earlier (interrupted) run did."""
    models = session.suite.models
    commit_once(
        lambda: models.commitment_time(commitment_) != 0,
        lambda: models.commit(commitment_),
        "ModelCommitmentExists",
    )


def _check_citations(session: Session, datasets: list[int], parents: list[int]) -> None:
    """What publishVersion would refuse, checked before the model is registered, so a refused
    publication leaves no model behind (the chain checks again; this only keeps things whole)."""
    registry, models = session.suite.datasets, session.suite.models
    for dataset_id in sorted(set(datasets)):
        registry.get(dataset_id)  # DatasetUnknown
        for name, refused in (
            ("ModelDatasetWithdrawn", registry.is_withdrawn(dataset_id)),
            ("ModelDatasetNotAccessible", not registry.has_access(dataset_id, session.address)),
        ):
            if refused:
                values = (dataset_id, session.address)
                raise ContractRevertError(MESSAGES[name](values), name, {"datasetId": dataset_id})
    count = int(models.call("versionCount"))
    for parent in sorted(set(parents)):
        if not 0 < parent <= count:
            raise ContractRevertError(
                MESSAGES["ModelParentUnknown"]((parent,)), "ModelParentUnknown", {"parentVersionId": parent}
            )


def verify_model(session: Session, path: Path) -> ModelMatch:
    digest, _ = weights_digest(path)
    models = session.suite.models
    version_id = models.version_by_digest(digest)
    if not version_id:
        raise NotPublishedError(str(path), "0x" + digest.hex())
    version = models.version(version_id)
    name = _model_name(session, version["modelId"])
    return ModelMatch(
        path=str(path),
        weights_digest="0x" + digest.hex(),
        version_id=version_id,
        model=name,
        model_id=version["modelId"],
        number=version["number"],
        published_at=version["publishedAt"],
        deprecated=version["deprecated"],
        datasets=tuple(_cited(session, version_id)),
        owner=models.model(version["modelId"])["owner"],
    )


def _model_name(session: Session, model_id: int) -> str:
    events = session.suite.models.events("ModelRegistered", modelId=model_id)
    return str(events[0]["args"]["name"]) if events else f"#{model_id}"


def _cited(session: Session, version_id: int) -> list[int]:
    return [
        int(e["args"]["datasetId"]) for e in session.suite.models.events("DatasetCited", versionId=version_id)
    ]


def resolve_model(session: Session, reference: str) -> tuple[int, int | None]:
    """`NAME`, `OWNER/NAME`, `#ID`, each optionally `@VERSION` (a number within the model)."""
    ref, _, version_text = reference.partition("@")
    models = session.suite.models
    if ref.startswith("#"):
        model_id = int(ref[1:]) if ref[1:].isdigit() else 0
        if not 0 < model_id <= int(models.call("modelCount")):
            raise UnknownModelError(reference)
    else:
        owner, _, name = ref.rpartition("/")
        matches = (
            models.events("ModelRegistered", owner=checked_address(owner))
            if owner
            else models.events("ModelRegistered")
        )
        ids = sorted({int(e["args"]["modelId"]) for e in matches if e["args"]["name"] == name})
        if not ids:
            raise UnknownModelError(reference)
        if len(ids) > 1:
            owners = ", ".join(str(models.model(i)["owner"]) for i in ids)
            raise UnknownModelError(
                reference, f"several owners have a model so named ({owners}): use OWNER/NAME"
            )
        model_id = ids[0]
    number = None
    if version_text:
        if not version_text.isdigit():
            raise UnknownModelError(reference, "the version after @ must be a number")
        number = int(version_text)
    return model_id, number


def lineage(session: Session, reference: str) -> Lineage:
    model_id, number = resolve_model(session, reference)
    models = session.suite.models
    versions = []
    for event in models.events("VersionPublished", modelId=model_id):
        args = event["args"]
        if number is not None and int(args["number"]) != number:
            continue
        version_id = int(args["versionId"])
        versions.append(
            LineageVersion(
                version_id=version_id,
                number=int(args["number"]),
                publisher=str(args["publisher"]),
                weights_digest="0x" + bytes(args["weightsDigest"]).hex(),
                datasets=tuple(_cited(session, version_id)),
                parents=tuple(
                    int(e["args"]["parentVersionId"])
                    for e in models.events("VersionDerived", versionId=version_id)
                ),
                children=tuple(
                    int(e["args"]["versionId"])
                    for e in models.events("VersionDerived", parentVersionId=version_id)
                ),
                deprecated=models.version(version_id)["deprecated"],
                block=int(event["blockNumber"]),
            )
        )
    if number is not None and not versions:
        raise UnknownModelError(reference, f"no version {number}")
    return Lineage(
        model=_model_name(session, model_id),
        model_id=model_id,
        owner=models.model(model_id)["owner"],
        versions=tuple(versions),
    )


def metadata(session: Session, version_id: int) -> dict[str, Any]:
    events = session.suite.models.events("VersionPublished", versionId=version_id)
    meta = events[0]["args"]["metadata"]
    return read_json(session.store, CID.from_onchain(bytes(meta[0]), int(meta[1])))


def add_version_metadata(
    session: Session,
    name: str,
    digest: bytes,
    per_file: Any,
    datasets: list[int],
    parents: list[int],
    metrics: Any,
    parameters: dict[str, Any],
    extra: dict[str, Any] | None = None,
) -> CID:
    """Store a model version's metadata document (aitrail:ModelVersion) and return its CID: the one
    layout for every publication path (`extra`, e.g. a signature, comes first)."""
    return add_json(
        session.store,
        {
            **(extra or {}),
            "@type": "aitrail:ModelVersion",
            "name": name,
            "weightsDigest": "0x" + digest.hex(),
            "files": per_file,
            "datasets": datasets,
            "parents": parents,
            "metrics": metrics,
            "parameters": parameters,
            "publisher": session.address,
            "dateCreated": day(session.block_time()),
        },
    )
