"""Proof documents for one record: make, parse, check off-chain, write."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aitrail._files import write_private
from aitrail.errors import ProofFileError
from aitrail.merkle import process_proof
from aitrail.records.reading import _PAD, PROOF_FORMAT, RECORD_LEAF_ENCODING, Consent, RecordsTree, _keccak


def prove(rt: RecordsTree, record: str | bytes, *, dataset_id: int, version: int) -> dict[str, Any]:
    """The proof document for one record (by id or 32-byte key) of a dataset version."""
    i = rt.index_of(record)
    key, digest, consent = rt.records[i]
    proof = rt.tree.get_proof(i)
    return {
        "format": PROOF_FORMAT,
        "datasetId": dataset_id,
        "version": version,
        "recordId": rt.ids[i],
        "leafEncoding": list(RECORD_LEAF_ENCODING),
        "values": ["0x" + key.hex(), "0x" + digest.hex(), str(consent)],
        "consent": Consent(consent).term,
        "leaf": "0x" + rt.tree.leaf_at(i).hex(),
        "proof": ["0x" + p.hex() for p in proof],
        "root": "0x" + rt.root.hex(),
        "count": rt.count,
    }


def _hex32(doc_path: str, field: str, value: object) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        raise ProofFileError(doc_path, f"{field} must be a 0x-prefixed 32-byte hex string")
    try:
        return bytes.fromhex(value[2:])
    except ValueError as exc:
        raise ProofFileError(doc_path, f"{field} is not hex") from exc


@dataclass(frozen=True)
class RecordProof:
    """A parsed, well-formed proof document (well-formed is not the same as valid: see verify_proof)."""

    dataset_id: int
    version: int
    record_id: str | None
    key: bytes
    record_sha256: bytes
    consent: int
    leaf: bytes
    proof: tuple[bytes, ...]
    root: bytes

    @property
    def values(self) -> tuple[bytes, bytes, int]:
        return (self.key, self.record_sha256, self.consent)


def parse_proof(doc: Any, source: str = "<proof>") -> RecordProof:
    """Check a proof document's shape and types; raises ProofFileError with the first problem."""
    if not isinstance(doc, dict):
        raise ProofFileError(source, "not a JSON object")
    if doc.get("format") != PROOF_FORMAT:
        raise ProofFileError(source, f"format is {doc.get('format')!r}, expected {PROOF_FORMAT!r}")
    if list(doc.get("leafEncoding", [])) != list(RECORD_LEAF_ENCODING):
        raise ProofFileError(source, f"leafEncoding must be {list(RECORD_LEAF_ENCODING)}")
    for field in ("datasetId", "version"):
        if isinstance(doc.get(field), bool) or not isinstance(doc.get(field), int) or doc[field] < 0:
            raise ProofFileError(source, f"{field} must be a non-negative integer")
    values = doc.get("values")
    if not isinstance(values, list) or len(values) != 3:
        raise ProofFileError(source, "values must be [recordKey, recordSha256, consent]")
    try:
        consent = int(values[2], 0) if isinstance(values[2], str) else int(values[2])
    except (TypeError, ValueError) as exc:
        raise ProofFileError(source, "consent value is not an integer") from exc
    if not 0 <= consent <= 255:
        raise ProofFileError(source, "consent value does not fit uint8")
    proof = doc.get("proof")
    if not isinstance(proof, list):
        raise ProofFileError(source, "proof must be a list")
    record_id = doc.get("recordId")
    return RecordProof(
        dataset_id=doc["datasetId"],
        version=doc["version"],
        record_id=record_id if isinstance(record_id, str) else None,
        key=_hex32(source, "values[0]", values[0]),
        record_sha256=_hex32(source, "values[1]", values[1]),
        consent=consent,
        leaf=_hex32(source, "leaf", doc.get("leaf")),
        proof=tuple(_hex32(source, f"proof[{i}]", p) for i, p in enumerate(proof)),
        root=_hex32(source, "root", doc.get("root")),
    )


def load_proof(path: str | Path) -> RecordProof:
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProofFileError(str(p), exc.strerror or str(exc)) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProofFileError(str(p), f"not JSON: {exc}") from exc
    return parse_proof(doc, str(p))


def verify_proof(proof: RecordProof, root: bytes | None = None) -> bool:
    """Off-chain check: values hash to the leaf and the proof leads from it to `root`.

    `root` is the trusted root (from the chain); without it the document's own root is used, which
    only shows the document is self-consistent.
    """
    expected = proof.root if root is None else root
    encoded = proof.key + proof.record_sha256 + _PAD + bytes((proof.consent,))
    leaf = _keccak(_keccak(encoded).digest()).digest()
    return leaf == proof.leaf and process_proof(leaf, proof.proof) == expected


def write_proof(doc: dict[str, Any], path: str | Path) -> None:
    """Write a proof document (from prove()) as indented JSON."""
    write_private(Path(path), json.dumps(doc, indent=2) + "\n")
