"""Data owner flows: register (hash, encrypt, store, register), list, show, withdraw.

Registration writes an upload journal (`<home>/uploads/<content hash>.json`) once the encrypted data and
its metadata are in the store. If the register transaction then fails (chain down, out of funds,
revert), re-running the same command finds the journal, checks the blocks are still in the store, and
registers the same upload: the data is uploaded once and registered once.

Registration is commit-reveal on-chain (against squatting from the mempool, see IDatasetRegistry): one
call here commits to (owner, content hash, salt), waits the registry's REGISTRATION_DELAY, and registers.
The salt is an HMAC of the content hash under the owner's private key (with the chain and registry), so
only the owner can compute it and a re-run after a crash between the two steps finds the same
commitment on-chain and does not commit twice.

The metadata document (public, JSON, CIDv1) follows MLCommons Croissant's field names where they fit:
name, description, license, creator, datePublished, distribution (file name, size, sha256, encoding,
contentUrl), plus the ERC-7517 consent terms, the records root, and `ownerKey`: the CID of the data key
wrapped (ECIES) for the owner's own Ethereum key, so the owner can grant from any machine.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import mimetypes
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from aitrail import crypto, records
from aitrail.chain.accounts import DEV_CHAIN_IDS
from aitrail.chain.contracts import DatasetRecord
from aitrail.cid import CID
from aitrail.errors import AitrailError, ContractRevertError, InputFileError
from aitrail.flows._common import add_json, day, read_json, require_file, sha256_file, text_ref
from aitrail.flows.session import Session

RECORD_SUFFIXES = (".csv", ".jsonl", ".ndjson")
# The saved tree is the npm "standard-v1" dump (~320 bytes per record: 32 MB and ~1.4 s to write for
# 100,000 records here). Above this, `records prove` rebuilds from the data instead (the owner's
# decrypted copy or --from FILE), which costs about as much as reading the dump back.
SAVED_TREE_MAX_RECORDS = 100_000


@dataclass(frozen=True)
class Registered:
    dataset_id: int
    cid: CID
    metadata_cid: CID
    content_hash: bytes
    records_count: int
    tx_hash: str | None
    reused_upload: bool
    already_registered: bool = False


def register_dataset(
    session: Session,
    path: Path,
    *,
    name: str,
    license: str,
    description: str = "",
    consent: dict[str, str] | None = None,
    predecessor: int = 0,
    cid_version: int = 0,
    show_progress: bool | None = None,
    withdrawn_leaves: Sequence[bytes] = (),
    extra_metadata: dict[str, Any] | None = None,
) -> Registered:
    """Hash, encrypt, store and register `path`. `withdrawn_leaves` (with `predecessor`) names the
    predecessor's record leaves this version drops (see flows.records.withdraw_records)."""
    # Checked before anything is hashed, uploaded or sent: bad terms leave nothing behind.
    records.consent_terms(**(consent or {}))
    if path.is_dir():
        path = pack_directory(path, session.home / "packed")
    require_file(path)
    key = session.key
    registry = session.suite.datasets
    content_hash = sha256_file(path)
    existing = registry.id_of(content_hash)
    if existing:
        record = registry.get(existing)
        if record.owner.lower() != session.address.lower():
            raise AitrailError(f"this content is already registered as dataset {existing} by {record.owner}")
        return Registered(
            existing,
            record.cid,
            record.metadata_cid,
            content_hash,
            record.records_count,
            record.tx_hash,
            reused_upload=True,
            already_registered=True,
        )

    journal = session.home / "uploads" / f"{content_hash.hex()}.json"
    upload = _load_upload(session, journal)
    reused = upload is not None
    if upload is None:
        upload = _upload(
            session,
            path,
            key,
            content_hash,
            name=name,
            license=license,
            description=description,
            consent=consent,
            cid_version=cid_version,
            show_progress=show_progress,
            extra_metadata=extra_metadata,
        )
        _save_upload(journal, upload)
    cid = CID.decode(upload["cid"])
    metadata_cid = CID.decode(upload["metadataCid"])
    root = bytes.fromhex(upload["recordsRoot"])
    count = int(upload["recordsCount"])
    salt = commit_registration(session, content_hash)
    dataset_id, receipt = _reveal_when_ready(
        session,
        lambda: registry.register(
            session.address, content_hash, cid, metadata_cid, root, count, predecessor, withdrawn_leaves, salt
        ),
    )
    journal.unlink(missing_ok=True)
    return Registered(
        dataset_id, cid, metadata_cid, content_hash, count, receipt["transactionHash"].to_0x_hex(), reused
    )


def registration_salt(session: Session, content_hash: bytes) -> bytes:
    """The salt of the owner's registration commitment: HMAC-SHA256 under the owner's private key of the
    chain, the registry and the content hash. Deterministic (a re-run finds its commitment), and nobody
    without the key can link a commitment to a content hash they guess."""
    registry = session.suite.datasets
    message = b"aitrail registration salt v1" + session.chain_id.to_bytes(32, "big")
    message += bytes.fromhex(registry.address[2:]) + content_hash
    return hmac.new(bytes(session.key.key), message, hashlib.sha256).digest()


def commit_registration(session: Session, content_hash: bytes) -> bytes:
    """Step 1: commit unless this owner's commitment for the content is already on-chain; the salt."""
    registry = session.suite.datasets
    salt = registration_salt(session, content_hash)
    commitment = registry.commitment_of(session.address, content_hash, salt)
    if registry.committed_at(commitment) == 0:
        registry.commit(commitment)
    return salt


# How long past the registry's delay to keep retrying the reveal before giving up (the next run resumes).
REVEAL_PATIENCE = 120


def _reveal_when_ready(session: Session, reveal: Any) -> Any:
    """Send the reveal once the commitment is old enough. The chain decides (the reveal is simulated
    before it is sent), so a block clock ahead of or behind this machine's only changes the wait.
    A development chain that mines only on transactions (Anvil's automine) gets an empty block at the
    current time after the wait, so its clock moves as a real chain's does on its own."""
    deadline = time.monotonic() + session.suite.datasets.registration_delay() + REVEAL_PATIENCE
    while True:
        try:
            return reveal()
        except ContractRevertError as exc:
            if exc.error != "DatasetCommitmentTooRecent" or time.monotonic() > deadline:
                raise
            wait = int(str(exc.args_["readyAt"])) - int(str(exc.args_["timestamp"]))
            time.sleep(min(max(wait, 1), 5))
            if session.chain_id in DEV_CHAIN_IDS:
                session.sender.rpc(lambda: session.w3.provider.make_request("evm_mine", []))  # type: ignore[arg-type]


def _upload(
    session: Session,
    path: Path,
    key: Any,
    content_hash: bytes,
    *,
    name: str,
    license: str,
    description: str,
    consent: dict[str, str] | None,
    cid_version: int,
    show_progress: bool | None,
    extra_metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    store = session.store
    root, count = bytes(32), 0
    data_key = crypto.generate_data_key()
    if path.suffix.lower() in RECORD_SUFFIXES:
        # Salted with the dataset secret derived from this data key (see aitrail.records).
        root, count, tree = records.build_records_tree(path, secret=records.records_secret(data_key))
        # Kept so the owner can prove any record later without decrypting the data (`records prove`).
        if count <= SAVED_TREE_MAX_RECORDS:
            save_tree(session, content_hash, tree)
    size = path.stat().st_size
    with path.open("rb") as handle:
        cid = store.add_stream(
            cast(BinaryIO, crypto.EncryptingReader(data_key, handle)),
            cid_version,
            total=crypto.encrypted_size(size),
            show_progress=show_progress,
        )
    owner_public = crypto.public_key_from_private(bytes(key.key))
    owner_key_cid = store.add_bytes(crypto.wrap_key(data_key, owner_public), cid_version=1)
    metadata = {
        "@type": "aitrail:Dataset",
        "name": name,
        "description": description,
        "license": license,
        "creator": session.address,
        "dateCreated": day(session.block_time()),
        "distribution": {
            "name": path.name,
            "contentSize": size,
            "sha256": content_hash.hex(),
            "encodingFormat": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            "contentUrl": f"ipfs://{cid}",
            "encryption": "aitrail-aead-v1 (AES-256-GCM segments; key wrapped per grantee with ECIES)",
        },
        "ownerKey": str(owner_key_cid),
        **records.consent_terms(**(consent or {"aiTraining": "allowed"})),
    }
    if count:
        metadata["records"] = {
            "root": "0x" + root.hex(),
            "count": count,
            "leafEncoding": list(records.RECORD_LEAF_ENCODING),
            "idSource": tree.key_source,
            "salt": "per record, HMAC-SHA256 under a secret derived from the data key (aitrail.records)",
        }
    metadata.update(extra_metadata or {})
    metadata_cid = add_json(store, metadata)
    return {
        "cid": str(cid),
        "metadataCid": str(metadata_cid),
        "recordsRoot": root.hex(),
        "recordsCount": count,
        "file": str(path),
    }


def tree_path(session: Session, content_hash: bytes) -> Path:
    """Where the owner's copy of a record dataset's tree lives: keyed by content hash, which is known
    before the dataset id and maps to it on-chain (`datasetIdOf`)."""
    return session.home / "records" / f"{content_hash.hex()}.json"


def save_tree(session: Session, content_hash: bytes, tree: records.RecordsTree) -> None:
    target = tree_path(session, content_hash)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    records.save_records_tree(tree, tmp)
    os.replace(tmp, target)


def _load_upload(session: Session, journal: Path) -> dict[str, Any] | None:
    try:
        upload = json.loads(journal.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    store = session.store
    try:
        complete = all(store.has(CID.decode(upload[k])) for k in ("cid", "metadataCid"))
    except (KeyError, AitrailError):
        complete = False
    return upload if complete and isinstance(upload, dict) else None


def _save_upload(journal: Path, upload: dict[str, Any]) -> None:
    journal.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=journal.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(upload, handle)
    os.replace(tmp, journal)


def metadata_of(session: Session, record: DatasetRecord) -> dict[str, Any]:
    try:
        return read_json(session.store, record.metadata_cid)
    except AitrailError:
        return {}


def describe(session: Session, dataset_id: int) -> dict[str, Any]:
    record = session.suite.datasets.get(dataset_id)
    meta = metadata_of(session, record)
    registry = session.suite.datasets
    withdrawn_at = None
    if record.withdrawn:
        (event,) = registry.events("DatasetWithdrawn", datasetId=dataset_id)
        withdrawn_at = int(session.w3.eth.get_block(event["blockNumber"])["timestamp"])
    return {
        "id": record.id,
        "name": meta.get("name"),
        "owner": record.owner,
        "license": meta.get("license"),
        "contentHash": "0x" + record.content_hash.hex(),
        "cid": str(record.cid),
        "metadataCid": str(record.metadata_cid),
        "recordsRoot": "0x" + record.records_root.hex(),
        "recordsCount": record.records_count,
        "predecessor": record.predecessor,
        "registeredAt": record.registered_at,
        "withdrawn": record.withdrawn,
        "withdrawnAt": withdrawn_at,
        "file": meta.get("distribution", {}).get("name"),
        "size": meta.get("distribution", {}).get("contentSize"),
        "registeredIn": record.tx_hash,
    }


def list_datasets(session: Session, owner: str | None = None) -> list[dict[str, Any]]:
    registry = session.suite.datasets
    filters = {"owner": session.w3.to_checksum_address(owner)} if owner else {}
    rows = []
    for event in registry.events("DatasetRegistered", **filters):
        rows.append(describe(session, int(event["args"]["datasetId"])))
    return rows


def withdraw_dataset(session: Session, dataset_id: int, reason: str) -> str:
    registry = session.suite.datasets
    if registry.is_withdrawn(dataset_id):
        raise ContractRevertError(
            f"dataset {dataset_id} is already withdrawn", "DatasetIsWithdrawn", {"datasetId": dataset_id}
        )
    receipt = registry.withdraw(dataset_id, text_ref(session.store, reason))
    return str(receipt["transactionHash"].to_0x_hex())


def verify_copy(session: Session, dataset_id: int, path: Path) -> dict[str, Any]:
    """Compare a local copy with the content hash on-chain: intact or not, never an exception for a
    mismatch (that is the answer), one for a missing file or an unknown dataset."""
    require_file(path)
    record = session.suite.datasets.get(dataset_id)
    actual = sha256_file(path)
    return {
        "dataset": dataset_id,
        "path": str(path),
        "intact": actual == record.content_hash,
        "expected": "0x" + record.content_hash.hex(),
        "actual": "0x" + actual.hex(),
    }


def pack_directory(folder: Path, out_dir: Path) -> Path:
    """A directory as one deterministic tar (`<name>.tar`): entries sorted, owners, modes and times
    normalised, `.git*` left out, so the same tree always gives the same bytes and content hash."""
    import tarfile

    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".git") for part in p.relative_to(folder).parts)
    )
    if not files:
        raise InputFileError(str(folder), "no files in this directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{folder.resolve().name}.tar"
    tmp = target.with_suffix(".tar.part")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for item in files:
            info = tarfile.TarInfo(f"{folder.resolve().name}/{item.relative_to(folder).as_posix()}")
            info.size = item.stat().st_size
            info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = 0o644, 0, 0, 0, "", ""
            with item.open("rb") as handle:
                tar.addfile(info, handle)
    os.replace(tmp, target)
    return target
