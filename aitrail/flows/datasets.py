"""Data owner flows: register (hash, encrypt, store, register), list, show, withdraw.

Registration writes an upload journal once the encrypted data and its metadata are in the store, one
entry per owner per deployment (`<home>/uploads/<chain id>-<registry>/<owner>/<content hash>.json`).
If the register transaction then fails (chain down, out of funds, revert), re-running the same command
finds the entry, checks it before using it (this owner and content, metadata naming this owner as
creator, the owner key opening with this owner's key, every block present and intact) and registers
the same upload: the data is uploaded once and registered once. A failure before the entry is written
discards what was stored; a directory is streamed as a tar, never written out in clear.

A first registration reads the file once: plaintext SHA-256, encryption and the store's import in one
pass, so the content hash is known only after the upload. Once the journal is written, a note of the
file's stat (`<home>/sources/<deployment>/<owner>/<path hash>.json`) tells a re-run to hash first and
find its journal entry or its registration without uploading again. A re-run without the note (a
directory, a file moved or touched) uploads again, then finds the earlier upload or registration by
content hash and discards its own copy: registered once, one upload kept. A record dataset (CSV, JSON
Lines) is hashed first, as its records tree is read from the file anyway.

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
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from aitrail import crypto, records
from aitrail._files import private_path, write_private
from aitrail._types import Readable
from aitrail.chain.accounts import checked_address
from aitrail.chain.contracts import DatasetRecord
from aitrail.cid import CID
from aitrail.errors import AitrailError, ContractRevertError, InputFileError
from aitrail.flows._common import (
    add_json,
    commit_once,
    day,
    read_json,
    require_file,
    reveal_when_ready,
    sha256_file,
    text_ref,
)
from aitrail.flows.session import Session
from aitrail.packing import DirectoryTar
from aitrail.publish import HashingReader
from aitrail.results import CopyCheck, DatasetInfo, Result

RECORD_SUFFIXES = (".csv", ".jsonl", ".ndjson")
# The saved tree is the npm "standard-v1" dump (~320 bytes per record: 32 MB and ~1.4 s to write for
# 100,000 records here). Above this, `records prove` rebuilds from the data instead (the owner's
# decrypted copy or --from FILE), which costs about as much as reading the dump back.
SAVED_TREE_MAX_RECORDS = 100_000
UPLOADS = "uploads"
# notes of which files were uploaded (their stat), so a re-run knows to look for its journal first
SOURCES = "sources"


@dataclass(frozen=True)
class Registered(Result):
    dataset_id: int = field(metadata={"json": "id"})
    cid: CID
    metadata_cid: CID
    content_hash: bytes
    records_count: int = field(metadata={"json": "records"})
    tx_hash: str | None = field(metadata={"json": "tx"})
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
    source = source_of(path)
    key = session.key
    registry = session.suite.datasets
    # The content hash is needed up front only to find an earlier attempt: a re-run of this file (its
    # stat remembered), or a record dataset (whose salted tree is tied to the upload's data key). Any
    # other file is read once: hashed, encrypted and stored in the same pass.
    content_hash = source.sha256() if source.records or _seen_before(session, source) else None
    upload = None
    if content_hash is not None:
        if done := _already_registered(session, content_hash):
            return done
        upload = _load_upload(session, upload_journal(session, content_hash), content_hash)
    reused = upload is not None
    if upload is None:
        upload, tree = _upload(
            session,
            source,
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
        first_pass = content_hash is None
        content_hash = bytes.fromhex(upload["contentHash"])
        journal = upload_journal(session, content_hash)
        earlier = _load_upload(session, journal, content_hash) if first_pass else None
        if earlier is not None:  # learnt only now: an earlier upload of the same bytes wins over this one
            _discard(session, upload)
            upload, tree, reused = earlier, None, True
        else:
            # Kept so the owner can prove any record later without decrypting the data (`records prove`).
            if tree is not None and int(upload["recordsCount"]) <= SAVED_TREE_MAX_RECORDS:
                save_tree(session, content_hash, tree)
            _save_upload(journal, upload)
        if first_pass:
            # Learnt only now: the same bytes may be registered already (a re-run of a registration that
            # went through, or another owner's). A chain that is down here leaves the journal: a re-run
            # resumes from it.
            existing = registry.id_of(content_hash)
            if existing:
                record = registry.get(existing)
                journal.unlink(missing_ok=True)
                if record.cid.to_v1() != CID.decode(upload["cid"]).to_v1():
                    _discard(session, upload)
                return _registered_copy(session, existing, content_hash)
    content_hash = bytes.fromhex(upload["contentHash"])
    _remember_source(session, source)
    journal = upload_journal(session, content_hash)
    cid = CID.decode(upload["cid"])
    metadata_cid = CID.decode(upload["metadataCid"])
    root = bytes.fromhex(upload["recordsRoot"])
    count = int(upload["recordsCount"])
    salt = commit_registration(session, content_hash)
    dataset_id, receipt = reveal_when_ready(
        session,
        lambda: registry.register(
            session.address, content_hash, cid, metadata_cid, root, count, predecessor, withdrawn_leaves, salt
        ),
        "DatasetCommitmentTooRecent",
        registry.registration_delay(),
    )
    journal.unlink(missing_ok=True)
    return Registered(
        dataset_id, cid, metadata_cid, content_hash, count, receipt["transactionHash"].to_0x_hex(), reused
    )


def _discard(session: Session, upload: dict[str, Any]) -> None:
    """Remove an upload this run made and will not use (the same bytes were found uploaded before)."""
    session.store.discard([CID.decode(upload[k]) for k in ("cid", "ownerKey", "metadataCid")])


def _already_registered(session: Session, content_hash: bytes) -> Registered | None:
    """This owner's existing registration of the content; another owner's is an error."""
    existing = session.suite.datasets.id_of(content_hash)
    return _registered_copy(session, existing, content_hash) if existing else None


def _registered_copy(session: Session, existing: int, content_hash: bytes) -> Registered:
    record = session.suite.datasets.get(existing)
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


def _source_note(session: Session, source: Source) -> Path | None:
    """Where this owner's deployment notes that a file was uploaded (keyed by its resolved path)."""
    if source.file is None:
        return None
    deployment = f"{session.chain_id}-{session.suite.datasets.address.lower()}"
    key = hashlib.sha256(str(source.file.resolve()).encode("utf-8", "surrogateescape")).hexdigest()
    return session.home / SOURCES / deployment / session.address.lower() / f"{key}.json"


def _stat_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]


def _seen_before(session: Session, source: Source) -> bool:
    """True when this file, unchanged by its stat, was uploaded by this owner on this deployment: a
    re-run, which hashes first to find its journal or registration instead of uploading again. Only a
    hint: the hash is what decides, so a file edited in place without a stat change is still right."""
    note = _source_note(session, source)
    if note is None or source.file is None:
        return False
    try:
        return bool(json.loads(note.read_text()) == _stat_key(source.file))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False


def _remember_source(session: Session, source: Source) -> None:
    note = _source_note(session, source)
    if note is not None and source.file is not None:
        write_private(note, json.dumps(_stat_key(source.file)))


@dataclass(frozen=True)
class Source:
    """What is registered: a regular file, or a directory streamed as one tar (never written out)."""

    name: str
    size: int
    open: Callable[[], AbstractContextManager[Readable]]
    file: Path | None = None  # a regular file: record datasets build their tree from it

    @property
    def records(self) -> bool:
        """A record dataset (CSV, JSON Lines): its Merkle tree of records is built from the file."""
        return self.file is not None and self.file.suffix.lower() in RECORD_SUFFIXES

    def sha256(self) -> bytes:
        with self.open() as stream:
            hashing = HashingReader(stream)
            while hashing.read(1 << 20):
                pass
        return hashing.sha256.digest()


def source_of(path: Path) -> Source:
    if path.is_dir():
        tar = DirectoryTar.of(path)
        return Source(tar.name, tar.size, tar.open)
    require_file(path)
    return Source(path.name, path.stat().st_size, lambda: path.open("rb"), path)


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
    commit_once(
        lambda: registry.committed_at(commitment) != 0,
        lambda: registry.commit(commitment),
        "DatasetCommitmentExists",
    )
    return salt


def _upload(
    session: Session,
    source: Source,
    key: Any,
    content_hash: bytes | None,
    *,
    name: str,
    license: str,
    description: str,
    consent: dict[str, str] | None,
    cid_version: int,
    show_progress: bool | None,
    extra_metadata: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], records.RecordsTree | None]:
    """Encrypt and store the data, the owner's wrapped key and the metadata, hashing the plaintext in
    the same pass (`content_hash`, when known already, must match it); the upload and the records tree.
    On any failure the roots this added are discarded again (`Store.discard`), so a failed register
    leaves no orphan behind; `aitrail store gc` finds what a crash (SIGKILL) left."""
    store = session.store
    # Read before the upload: a chain that is down fails here, before hundreds of MB are stored.
    created = day(session.block_time())
    root, count = bytes(32), 0
    tree = None
    data_key = crypto.generate_data_key()
    if source.file is not None and source.records:
        # Salted with the dataset secret derived from this data key (see aitrail.records).
        root, count, tree = records.build_records_tree(source.file, secret=records.records_secret(data_key))
    added: list[CID] = []
    try:
        with source.open() as handle:
            hashing = HashingReader(handle)
            cid = store.add_stream(
                cast(BinaryIO, crypto.EncryptingReader(data_key, hashing)),
                cid_version,
                total=crypto.encrypted_size(source.size),
                show_progress=show_progress,
            )
        added.append(cid)
        if content_hash is None:
            content_hash = hashing.sha256.digest()
        elif hashing.sha256.digest() != content_hash:
            raise InputFileError(source.name, "changed while it was being registered; try again")
        owner_public = crypto.public_key_from_private(bytes(key.key))
        owner_key_cid = store.add_bytes(crypto.wrap_key(data_key, owner_public), cid_version=1)
        added.append(owner_key_cid)
        metadata = {
            "@type": "aitrail:Dataset",
            "name": name,
            "description": description,
            "license": license,
            "creator": session.address,
            "dateCreated": created,
            "distribution": {
                "name": source.name,
                "contentSize": source.size,
                "sha256": content_hash.hex(),
                "encodingFormat": mimetypes.guess_type(source.name)[0] or "application/octet-stream",
                "contentUrl": f"ipfs://{cid}",
                "encryption": "aitrail-aead-v1 (AES-256-GCM segments; key wrapped per grantee with ECIES)",
            },
            "ownerKey": str(owner_key_cid),
            **records.consent_terms(**(consent or {"aiTraining": "allowed"})),
        }
        if tree is not None and count:
            metadata["records"] = {
                "root": "0x" + root.hex(),
                "count": count,
                "leafEncoding": list(records.RECORD_LEAF_ENCODING),
                "idSource": tree.key_source,
                "salt": "per record, HMAC-SHA256 under a secret derived from the data key (aitrail.records)",
            }
        metadata.update(extra_metadata or {})
        metadata_cid = add_json(store, metadata)
    except BaseException:
        store.discard(added)
        raise
    return {
        "chainId": session.chain_id,
        "registry": session.suite.datasets.address,
        "owner": session.address,
        "contentHash": content_hash.hex(),
        "cid": str(cid),
        "ownerKey": str(owner_key_cid),
        "metadataCid": str(metadata_cid),
        "recordsRoot": root.hex(),
        "recordsCount": count,
        "file": source.name,
    }, tree


def tree_path(session: Session, content_hash: bytes) -> Path:
    """Where the owner's copy of a record dataset's tree lives: keyed by content hash, which is known
    before the dataset id and maps to it on-chain (`datasetIdOf`)."""
    return session.home / "records" / f"{content_hash.hex()}.json"


def save_tree(session: Session, content_hash: bytes, tree: records.RecordsTree) -> None:
    with private_path(tree_path(session, content_hash)) as tmp:
        records.save_records_tree(tree, tmp)


def upload_journal(session: Session, content_hash: bytes) -> Path:
    """The journal entry of one owner's upload on one deployment: another account, another chain or
    another deployment never sees it (its metadata names a creator and wraps the key for one owner)."""
    deployment = f"{session.chain_id}-{session.suite.datasets.address.lower()}"
    return session.home / UPLOADS / deployment / session.address.lower() / f"{content_hash.hex()}.json"


def journal_entries(home: Path) -> list[dict[str, Any]]:
    """Every readable upload journal entry under `home` (any deployment, any owner, any format)."""
    entries = []
    for path in sorted((home / UPLOADS).rglob("*.json")) if (home / UPLOADS).is_dir() else []:
        try:
            entry = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _load_upload(session: Session, journal: Path, content_hash: bytes) -> dict[str, Any] | None:
    """The journal's upload if it is checked to be this owner's, for this content, and complete in the
    store; None (upload again) otherwise."""
    try:
        upload = json.loads(journal.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(upload, dict):
        return None
    try:
        if (
            int(upload["chainId"]) != session.chain_id
            or str(upload["registry"]).lower() != session.suite.datasets.address.lower()
            or str(upload["owner"]).lower() != session.address.lower()
            or upload["contentHash"] != content_hash.hex()
        ):
            return None
        store = session.store
        meta = read_json(store, CID.decode(upload["metadataCid"]))
        if (
            str(meta.get("creator", "")).lower() != session.address.lower()
            or meta.get("distribution", {}).get("sha256") != content_hash.hex()
            or str(meta.get("ownerKey")) != upload["ownerKey"]
            or meta.get("distribution", {}).get("contentUrl") != f"ipfs://{upload['cid']}"
        ):
            return None
        crypto.unwrap_key(store.read_all(CID.decode(upload["ownerKey"])), session.key)
        for _ in store.walk(CID.decode(upload["cid"])):  # every block present and intact
            pass
    except (KeyError, TypeError, ValueError, AitrailError):
        return None
    return upload


def _save_upload(journal: Path, upload: dict[str, Any]) -> None:
    write_private(journal, json.dumps(upload))


def metadata_of(session: Session, record: DatasetRecord, strict: bool = False) -> dict[str, Any]:
    """The dataset's metadata document; {} when it cannot be read, unless `strict` (then the error)."""
    try:
        return read_json(session.store, record.metadata_cid, f"dataset {record.id}'s metadata")
    except AitrailError:
        if strict:
            raise
        return {}


def describe(session: Session, dataset_id: int, strict: bool = True) -> DatasetInfo:
    """One dataset; with `strict` (the default) unreadable metadata is an error, not a row of Nones."""
    record = session.suite.datasets.get(dataset_id)
    meta = metadata_of(session, record, strict)
    registry = session.suite.datasets
    withdrawn_at = None
    if record.withdrawn:
        (event,) = registry.events("DatasetWithdrawn", datasetId=dataset_id)
        withdrawn_at = int(session.w3.eth.get_block(event["blockNumber"])["timestamp"])
    return DatasetInfo(
        id=record.id,
        name=meta.get("name"),
        owner=record.owner,
        license=meta.get("license"),
        content_hash="0x" + record.content_hash.hex(),
        cid=str(record.cid),
        metadata_cid=str(record.metadata_cid),
        records_root="0x" + record.records_root.hex(),
        records_count=record.records_count,
        predecessor=record.predecessor,
        registered_at=record.registered_at,
        withdrawn=record.withdrawn,
        withdrawn_at=withdrawn_at,
        file=meta.get("distribution", {}).get("name"),
        size=meta.get("distribution", {}).get("contentSize"),
        registered_in=record.tx_hash,
    )


def list_datasets(session: Session, owner: str | None = None) -> list[DatasetInfo]:
    registry = session.suite.datasets
    filters = {"owner": checked_address(owner)} if owner else {}
    rows = []
    for event in registry.events("DatasetRegistered", **filters):
        rows.append(describe(session, int(event["args"]["datasetId"]), strict=False))
    return rows


def withdraw_dataset(session: Session, dataset_id: int, reason: str) -> str:
    registry = session.suite.datasets
    if registry.is_withdrawn(dataset_id):
        raise ContractRevertError(
            f"dataset {dataset_id} is already withdrawn", "DatasetIsWithdrawn", {"datasetId": dataset_id}
        )
    receipt = registry.withdraw(dataset_id, text_ref(session.store, reason))
    return str(receipt["transactionHash"].to_0x_hex())


def verify_copy(session: Session, dataset_id: int, path: Path) -> CopyCheck:
    """Compare a local copy with the content hash on-chain: intact or not, never an exception for a
    mismatch (that is the answer), one for a missing file or an unknown dataset."""
    require_file(path)
    record = session.suite.datasets.get(dataset_id)
    actual = sha256_file(path)
    return CopyCheck(
        dataset=dataset_id,
        path=str(path),
        intact=actual == record.content_hash,
        expected="0x" + record.content_hash.hex(),
        actual="0x" + actual.hex(),
    )
