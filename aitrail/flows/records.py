"""Per-record flows: prove a record is in a dataset version, verify a proof on-chain, withdraw records
(a data subject withdrew consent) as a new dataset version, and find the model versions that still
cite a version after records were withdrawn from it.

Where the tree of a proof comes from (in this order):
1. `source`: a local copy of the data (the owner's file, or a researcher's `aitrail dataset fetch`
   copy). It must rebuild the on-chain root, else nothing is proved.
2. The tree the owner's `dataset register` saved under `<AITRAIL_HOME>/records/<content sha256>.json`
   (datasets of up to `SAVED_TREE_MAX_RECORDS` records).
3. For the owner, the data itself: decrypted from the store with the owner's wrapped key.

How a record becomes a leaf is in aitrail.records (module docstring).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from aitrail import records
from aitrail._files import write_private
from aitrail._procs import pid_alive
from aitrail.chain.contracts import DatasetRecord
from aitrail.errors import (
    InputFileError,
    NotDatasetOwnerError,
    ProofFileError,
    ProofRejectedError,
    RecordNotFoundError,
    RecordsError,
    RecordsTreeUnavailableError,
)
from aitrail.fetch import fetch
from aitrail.flows._common import BlockClock, read_json, when
from aitrail.flows.access import data_key_as_owner, data_key_of
from aitrail.flows.datasets import register_dataset, tree_path
from aitrail.flows.models import _model_name
from aitrail.flows.session import Session
from aitrail.merkle import leaf_hash, process_proof

ID_FIELD = "id"  # the id field read_records uses by default, hence the one `dataset register` used

__all__ = [
    "prove_record",
    "stale_citations",
    "verify_record_proof",
    "withdraw_records",
    "withdrawals_after",
]


# --- which tree ---


def _record_dataset(session: Session, dataset_id: int) -> DatasetRecord:
    record = session.suite.datasets.get(dataset_id)  # DatasetUnknown
    if record.records_count == 0:
        raise RecordsError(
            f"dataset {dataset_id} has no records root (only CSV and JSON Lines datasets have records)"
        )
    return record


def _decrypt_as_owner(session: Session, record: DatasetRecord, into: Path) -> Path:
    meta = read_json(session.store, record.metadata_cid)
    name = Path(str(meta.get("distribution", {}).get("name") or f"dataset-{record.id}")).name
    result = fetch(
        session.store,
        record.cid,
        into / name,
        expected_sha256=record.content_hash,
        data_key=data_key_as_owner(session, record.id),
        show_progress=False,
    )
    return result.path


def _checked(tree: records.RecordsTree, record: DatasetRecord, origin: str) -> records.RecordsTree:
    if tree.root != record.records_root or tree.count != record.records_count:
        raise RecordsError(
            f"{origin} gives records root 0x{tree.root.hex()} ({tree.count} records), but dataset "
            f"{record.id} has 0x{record.records_root.hex()} ({record.records_count}): not this dataset's data"
        )
    return tree


def _secret(session: Session, record: DatasetRecord) -> bytes:
    """The dataset secret that salts its leaves, from the data key this account holds (owner or grantee)."""
    if session.signer is None:
        raise RecordsTreeUnavailableError(record.id)
    return records.records_secret(data_key_of(session, record.id))


def _tree_of(session: Session, record: DatasetRecord, source: Path | None) -> records.RecordsTree:
    if source is not None:
        if not source.is_file():
            raise InputFileError(str(source), "file not found")
        return _checked(records.read_records(source, secret=_secret(session, record)), record, str(source))
    saved = tree_path(session, record.content_hash)
    is_owner = session.signer is not None and record.owner.lower() == session.address.lower()
    if saved.is_file() and is_owner:
        tree = records.open_records_tree(saved, secret=_secret(session, record))
        return _checked(tree, record, str(saved))
    if is_owner:
        with _scratch_dir(session) as tmp:
            plain = _decrypt_as_owner(session, record, Path(tmp))
            tree = records.read_records(plain, secret=_secret(session, record))
            return _checked(tree, record, f"the stored data of dataset {record.id}")
    raise RecordsTreeUnavailableError(record.id)


def _scratch(session: Session) -> Path:
    """The folder decrypted copies live in while a records command runs (0700). Each command's own
    folder is named after its process id; one whose process is gone was left by a command that was
    killed (SIGKILL skips TemporaryDirectory's clean-up) and holds plaintext, so it is removed here."""
    path = session.home / "tmp"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    for left in path.iterdir():
        pid = left.name.split("-", 1)[0]
        if left.is_dir() and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    return path


def _scratch_dir(session: Session) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(dir=_scratch(session), prefix=f"{os.getpid()}-")


def _version_number(session: Session, dataset_id: int) -> int:
    return len(session.suite.datasets.history(dataset_id))


# --- prove ---


def prove_record(
    session: Session, dataset_id: int, record_id: str, source: Path | None = None
) -> dict[str, Any]:
    """The proof document (aitrail.records.prove) of one record of a dataset version."""
    record = _record_dataset(session, dataset_id)
    tree = _tree_of(session, record, source)
    try:
        return records.prove(
            tree, record_id, dataset_id=dataset_id, version=_version_number(session, dataset_id)
        )
    except RecordNotFoundError:
        raise RecordNotFoundError(record_id, dataset_id) from None


# --- verify ---


def _leaf(proof: records.RecordProof) -> bytes:
    """The leaf recomputed from the values (never the document's own `leaf` field)."""
    return leaf_hash(records.RECORD_LEAF_ENCODING, proof.values)


def verify_record_proof(session: Session, path: Path) -> dict[str, Any]:
    """Check a proof on-chain (`verifyRecord`); raise ProofRejectedError with the likely cause if the
    chain says no. On success: the dataset version, withdrawals of this record in later versions, and
    the model versions trained on this dataset version."""
    proof = records.load_proof(path)
    registry = session.suite.datasets
    record = registry.get(proof.dataset_id)  # DatasetUnknown
    leaf = _leaf(proof)
    if not registry.verify_record(proof.dataset_id, proof.values, proof.proof):
        raise ProofRejectedError(str(path), proof.dataset_id, _why_rejected(proof, leaf, record))
    version = _version_number(session, proof.dataset_id)
    _refuse_disagreeing_labels(path, proof, leaf, record, version)
    withdrawals = [w for w in withdrawals_after(session, proof.dataset_id) if leaf in w["leafSet"]]
    first_withdrawal = min(((w["block"], w["logIndex"]) for w in withdrawals), default=None)
    models = []
    for cite in _citations(session, proof.dataset_id):
        cite["afterWithdrawal"] = first_withdrawal is not None and cite["at"] > first_withdrawal
        del cite["at"]
        models.append(cite)
    return {
        "proof": str(path),
        "verified": True,
        "datasetId": proof.dataset_id,
        "version": version,
        "history": registry.history(proof.dataset_id),
        "recordId": proof.record_id,
        "recordKey": "0x" + proof.key.hex(),
        "recordSha256": "0x" + proof.record_sha256.hex(),
        "consent": records.Consent(proof.consent).term if proof.consent <= 2 else str(proof.consent),
        "leaf": "0x" + leaf.hex(),
        "root": "0x" + record.records_root.hex(),
        "count": record.records_count,
        "datasetWithdrawn": record.withdrawn,
        "withdrawnIn": [
            {"datasetId": w["datasetId"], "time": w["time"], "when": w["when"], "tx": w["tx"]}
            for w in withdrawals
        ],
        "models": models,
    }


def _refuse_disagreeing_labels(
    path: Path, proof: records.RecordProof, leaf: bytes, record: DatasetRecord, version: int
) -> None:
    """Every label of the file must follow from the values and the chain, so nothing printed comes from
    the file alone: a file claiming another record's id, leaf, root, version, consent or count is refused
    (before, an edited `recordId` printed VERIFIED for a record the proof is not about)."""
    consent = records.Consent(proof.consent).term if proof.consent <= 2 else str(proof.consent)
    checks = [
        ("leaf", "0x" + proof.leaf.hex(), "0x" + leaf.hex(), "the hash of the values"),
        ("root", "0x" + proof.root.hex(), "0x" + record.records_root.hex(), "the dataset's on-chain root"),
        ("version", str(proof.version), str(version), "the dataset's place in its version chain"),
    ]
    if proof.record_id is not None:
        derived_key = "0x" + records.record_key(proof.record_id, proof.salt or b"").hex()
        label = f"the key of recordId {proof.record_id!r}"
        checks.append(("recordKey", "0x" + proof.key.hex(), derived_key, label))
    if proof.consent_label is not None:
        checks.append(("consent", proof.consent_label, consent, "the consent value"))
    if proof.count is not None:
        checks.append(("count", str(proof.count), str(record.records_count), "the on-chain record count"))
    for label, stated, derived, source in checks:
        if stated != derived:
            raise ProofFileError(
                str(path), f"{label} says {stated}, but {source} gives {derived}: the labels disagree"
            )


def _why_rejected(proof: records.RecordProof, leaf: bytes, record: DatasetRecord) -> str:
    if record.records_count == 0:
        return "that dataset has no records root"
    if leaf != proof.leaf:
        return "the record values do not hash to the proof's leaf (the record was altered)"
    reached = process_proof(leaf, proof.proof)
    if reached == proof.root:
        return (
            f"the proof leads to root 0x{reached.hex()[:16]}…, the dataset's root is "
            f"0x{record.records_root.hex()[:16]}… (a proof for another dataset?)"
        )
    if proof.root == record.records_root:
        return "the record and its proof path do not lead to the dataset's root (one of them was altered)"
    return "the proof does not lead to the dataset's records root"


# --- withdrawals and the models that still cite an older version ---


def _descendants(session: Session, dataset_id: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for log in session.suite.datasets.events("DatasetRegistered"):
        children.setdefault(int(log["args"]["predecessor"]), []).append(int(log["args"]["datasetId"]))
    found: list[int] = []
    stack = list(children.get(dataset_id, []))
    while stack:
        child = stack.pop()
        found.append(child)
        stack += children.get(child, [])
    return sorted(found)


def withdrawals_after(session: Session, dataset_id: int) -> list[dict[str, Any]]:
    """Record withdrawals in later versions of `dataset_id` (its successors, transitively), in chain
    order. A record withdrawn there was in `dataset_id` too, so training on it after that is stale."""
    registry = session.suite.datasets
    clock = BlockClock(session.w3)
    out = []
    for version_id in _descendants(session, dataset_id):
        for log in registry.events("RecordsWithdrawn", datasetId=version_id):
            leaves = [bytes(x) for x in log["args"]["leaves"]]
            time = clock(int(log["blockNumber"]))
            out.append(
                {
                    "datasetId": version_id,
                    "predecessor": int(log["args"]["predecessor"]),
                    "count": len(leaves),
                    "leafSet": set(leaves),
                    "block": int(log["blockNumber"]),
                    "logIndex": int(log["logIndex"]),
                    "time": time,
                    "when": when(time),
                    "tx": log["transactionHash"].to_0x_hex(),
                }
            )
    return sorted(out, key=lambda w: (w["block"], w["logIndex"]))


def _citations(session: Session, dataset_id: int, version_id: int | None = None) -> list[dict[str, Any]]:
    models = session.suite.models
    filters: dict[str, Any] = {"datasetId": dataset_id}
    if version_id is not None:
        filters["versionId"] = version_id
    clock = BlockClock(session.w3)
    rows = []
    for log in models.events("DatasetCited", **filters):
        vid = int(log["args"]["versionId"])
        version = models.version(vid)
        rows.append(
            {
                "versionId": vid,
                "modelId": version["modelId"],
                "model": _model_name(session, version["modelId"]),
                "number": version["number"],
                "publishedAt": clock(int(log["blockNumber"])),
                "at": (int(log["blockNumber"]), int(log["logIndex"])),
            }
        )
    return rows


def stale_citations(
    session: Session, dataset_id: int, version_id: int | None = None
) -> list[dict[str, Any]]:
    """Model versions that cite `dataset_id` although they were published after records had been
    withdrawn from it (in a later version): each with the withdrawal it ignored (the latest one)."""
    withdrawals = withdrawals_after(session, dataset_id)
    if not withdrawals:
        return []
    flags = []
    for cite in _citations(session, dataset_id, version_id):
        before = [w for w in withdrawals if (w["block"], w["logIndex"]) < cite["at"]]
        if not before:
            continue
        latest = before[-1]
        flags.append(
            {
                "datasetId": dataset_id,
                "versionId": cite["versionId"],
                "model": cite["model"],
                "modelId": cite["modelId"],
                "number": cite["number"],
                "publishedAt": cite["publishedAt"],
                "withdrawnIn": latest["datasetId"],
                "withdrawnRecords": sum(w["count"] for w in before),
                "withdrawnAt": latest["time"],
                "message": (
                    f"model {cite['model']!r} version {cite['number']} (id {cite['versionId']}), published "
                    f"{when(cite['publishedAt'])}, cites dataset {dataset_id} although "
                    f"{sum(w['count'] for w in before)} record(s) were withdrawn from it (consent) by "
                    f"version {latest['datasetId']} on {latest['when']}"
                ),
            }
        )
    return flags


# --- withdraw ---


def withdraw_records(
    session: Session,
    dataset_id: int,
    record_ids: Sequence[str],
    out_dir: Path,
    source: Path | None = None,
) -> dict[str, Any]:
    """Publish a new version of `dataset_id` without `record_ids`: the reduced data encrypted and stored
    as the new version's content, its root registered, and the dropped leaves in RecordsWithdrawn.

    The reduced file is also written to `out_dir` as `<stem>.v<N><suffix>`. Records must be keyed by an
    id field: with row-index keys, removing a row would renumber every later record.
    """
    session.require_signer()
    if not record_ids:
        raise RecordsError("name at least one record to withdraw")
    record = _record_dataset(session, dataset_id)
    if record.owner.lower() != session.address.lower():
        raise NotDatasetOwnerError(
            session.address, dataset_id, ": only its owner can publish a version without some records"
        )
    later = _descendants(session, dataset_id)
    if later:
        # A version branched off an old one would bring back records a later version dropped.
        raise RecordsError(
            f"dataset {dataset_id} already has a later version ({', '.join(map(str, later))}): "
            "withdraw records from the latest version"
        )
    meta = read_json(session.store, record.metadata_cid)
    with _scratch_dir(session) as tmp:
        work = Path(tmp)
        if source is not None:
            if not source.is_file():
                raise InputFileError(str(source), "file not found")
            plain = source
        else:
            plain = _decrypt_as_owner(session, record, work)
        secret = _secret(session, record)
        old = records.read_records(plain, secret=secret)
        old = _checked(old, record, str(source or f"dataset {dataset_id}'s data"))
        if old.key_source == "row index":
            raise RecordsError(
                f"dataset {dataset_id} keys its records by row index (no id field): removing a row would "
                "renumber every later record, so records cannot be withdrawn from it"
            )
        try:
            withdrawal = records.withdraw(old, record_ids)
        except RecordNotFoundError as exc:
            raise RecordNotFoundError(exc.record, dataset_id) from None
        name = str(meta.get("distribution", {}).get("name") or plain.name)
        stem, suffix = Path(name).stem, Path(name).suffix
        target = out_dir / f"{stem}.v{_version_number(session, dataset_id) + 1}{suffix}"
        if target.exists():
            raise InputFileError(str(target), "already exists; move it or choose another --output")
        reduced = work / "reduced" / Path(name).name
        reduced.parent.mkdir()
        _write_without(plain, set(withdrawal.withdrawn_keys), reduced, old)
        rebuilt = records.read_records(reduced, secret=secret)
        if rebuilt.root != withdrawal.tree.root:  # the reduced file must prove exactly the kept records
            raise RecordsError("internal: the reduced file does not rebuild the expected records root")
        consent = meta.get("dataMiningPreference")
        registered = register_dataset(
            session,
            reduced,
            name=str(meta.get("name") or stem),
            license=str(meta.get("license") or ""),
            description=str(meta.get("description") or ""),
            consent=dict(consent) if isinstance(consent, dict) else None,
            predecessor=dataset_id,
            cid_version=record.cid.version,
            withdrawn_leaves=withdrawal.withdrawn_leaves,
            extra_metadata={
                "isVersionOf": dataset_id,
                "withdrawnRecords": {
                    "from": dataset_id,
                    "count": len(withdrawal.withdrawn_leaves),
                    "reason": "consent withdrawn by the data subjects",
                },
            },
        )
        write_private(target, reduced.read_bytes())
    return {
        "id": registered.dataset_id,
        "predecessor": dataset_id,
        "withdrawn": len(withdrawal.withdrawn_leaves),
        "withdrawnLeaves": ["0x" + leaf.hex() for leaf in withdrawal.withdrawn_leaves],
        "records": registered.records_count,
        # The new version has its own data key, hence its own secret: the root it registered.
        "root": "0x" + session.suite.datasets.records_root(registered.dataset_id)[0].hex(),
        "cid": str(registered.cid),
        "metadataCid": str(registered.metadata_cid),
        "path": str(target),
        "tx": registered.tx_hash,
        "alreadyRegistered": registered.already_registered,
    }


def _physical_lines(text: str) -> Iterator[str]:
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _write_without(plain: Path, dropped: set[bytes], out: Path, tree: records.RecordsTree) -> None:
    """Copy `plain` without the dropped records, keeping every other line byte for byte (the header,
    blank lines, quoting and line endings of the kept records stay as they were)."""
    text = plain.read_bytes().decode("utf-8-sig")
    kept: list[str] = []
    if plain.suffix.lower() == ".csv":
        pending: list[str] = []

        def feed() -> Iterator[str]:
            # csv.reader pulls exactly the physical lines of one record (more than one when a quoted
            # cell holds a newline), so `pending` is that record's text when it returns the row.
            for line in _physical_lines(text):
                pending.append(line)
                yield line

        reader = csv.reader(feed())
        header = next(reader)
        kept += pending
        pending.clear()
        column = header.index(ID_FIELD)
        for row in reader:
            if not (row and records.record_key(row[column], tree.salt_of(row[column])) in dropped):
                kept += pending
            pending.clear()
    else:
        for line in _physical_lines(text):
            record_id = str(json.loads(line)[ID_FIELD]) if line.strip() else ""
            if line.strip() and records.record_key(record_id, tree.salt_of(record_id)) in dropped:
                continue
            kept.append(line)
    out.write_text("".join(kept), encoding="utf-8", newline="")
