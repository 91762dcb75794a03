"""Record datasets (CSV, JSON Lines) as OpenZeppelin standard Merkle trees: roots, proofs, withdrawal.

How a record becomes a leaf
---------------------------
Every record is one leaf with ABI types ``["bytes32", "bytes32", "uint8"]`` and values
``(recordKey, recordSha256, consent)``:

- ``recordKey`` = SHA-256 of the record's id, UTF-8. The id is the value of the id field (``id`` by
  default) when the file has one, else the record's 0-based position among the data records, in
  decimal (``"0"``, ``"1"``, ...). A JSON Lines id that is an integer is written in decimal. Ids must
  be unique and non-empty. The key, not the id, goes on-chain, so an id (a patient number, say) is not
  published by a proof unless the proof file names it.
- ``recordSha256`` = SHA-256 of the record's canonical bytes:
  - CSV: the data row (all columns, file order, header excluded) as read by Python's ``csv`` module
    and written back by ``csv.writer`` with the default (excel) dialect and ``\\n`` line ending, UTF-8.
    So quoting and CRLF/LF differences in the file do not change a record's hash; cell text does.
  - JSON Lines: ``json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``,
    UTF-8, no trailing newline. Key order and whitespace do not matter; values do.
- ``consent`` = the record's consent flag from the optional consent field (``consent`` by default),
  in the ERC-7517 vocabulary: 0 = notAllowed, 1 = allowed, 2 = constrained. Accepted spellings:
  ``allowed``/``notAllowed``/``constrained`` (any case), ``true``/``false``, ``yes``/``no``,
  ``1``/``0``/``2``.
  Without the field every record gets the dataset's default (allowed unless told otherwise).

The dataset-level consent terms (per purpose: aiTraining, aiInference, dataMining,
aiGenerativeTraining) go in the dataset's metadata document under ``dataMiningPreference``
(``consent_terms()``); the per-record flag is what a proof shows for one data subject.

Leaves keep file order as input order; the tree itself sorts them by hash (OpenZeppelin's default),
so the root does not depend on record order.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import numpy as np
import sha3

from aitrail.errors import ProofFileError, RecordNotFoundError, RecordsError, RecordsFormatError
from aitrail.merkle import StandardMerkleTree, process_proof

__all__ = [
    "CONSENT_PURPOSES",
    "PROOF_FORMAT",
    "RECORD_LEAF_ENCODING",
    "TREE_FILE_FORMAT",
    "Consent",
    "PackedRecords",
    "RecordProof",
    "RecordsTree",
    "Withdrawal",
    "build_records_tree",
    "canonical_csv_row",
    "canonical_json_record",
    "consent_terms",
    "dump_records_tree",
    "load_proof",
    "load_records_tree",
    "open_records_tree",
    "parse_consent",
    "parse_proof",
    "prove",
    "read_records",
    "record_key",
    "save_records_tree",
    "verify_proof",
    "withdraw",
    "write_proof",
]

RECORD_LEAF_ENCODING = ("bytes32", "bytes32", "uint8")
PROOF_FORMAT = "aitrail-record-proof-v1"
CONSENT_PURPOSES = ("aiTraining", "aiInference", "dataMining", "aiGenerativeTraining")
_WORD = 96  # abi.encode(bytes32, bytes32, uint8) is three 32-byte words
_PAD = bytes(31)
_keccak = sha3.keccak_256


class Consent(IntEnum):
    """ERC-7517 preference values; the integer is the leaf's uint8."""

    NOT_ALLOWED = 0
    ALLOWED = 1
    CONSTRAINED = 2

    @property
    def term(self) -> str:
        return ("notAllowed", "allowed", "constrained")[self.value]


_CONSENT_SPELLINGS = {
    "notallowed": Consent.NOT_ALLOWED,
    "false": Consent.NOT_ALLOWED,
    "no": Consent.NOT_ALLOWED,
    "0": Consent.NOT_ALLOWED,
    "allowed": Consent.ALLOWED,
    "true": Consent.ALLOWED,
    "yes": Consent.ALLOWED,
    "1": Consent.ALLOWED,
    "constrained": Consent.CONSTRAINED,
    "2": Consent.CONSTRAINED,
}


def parse_consent(value: object) -> Consent:
    """A consent cell or JSON value as a Consent; raises ValueError for anything else.

    >>> parse_consent("notAllowed"), parse_consent(True), parse_consent(2)
    (<Consent.NOT_ALLOWED: 0>, <Consent.ALLOWED: 1>, <Consent.CONSTRAINED: 2>)
    """
    if isinstance(value, bool):
        return Consent.ALLOWED if value else Consent.NOT_ALLOWED
    if isinstance(value, int | str):
        found = _CONSENT_SPELLINGS.get(str(value).strip().lower())
        if found is not None:
            return found
    raise ValueError(f"consent value {value!r} is not one of allowed/notAllowed/constrained")


def consent_terms(**purposes: str | Consent) -> dict[str, dict[str, str]]:
    """Dataset-level consent terms for the metadata document, ERC-7517 style.

    >>> consent_terms(aiTraining="allowed", aiInference=Consent.CONSTRAINED)
    {'dataMiningPreference': {'aiTraining': 'allowed', 'aiInference': 'constrained'}}
    """
    terms: dict[str, str] = {}
    for purpose, value in purposes.items():
        if purpose not in CONSENT_PURPOSES:
            raise RecordsError(
                f"unknown consent purpose {purpose!r}; expected one of {', '.join(CONSENT_PURPOSES)}"
            )
        try:
            terms[purpose] = (value if isinstance(value, Consent) else parse_consent(value)).term
        except ValueError as exc:
            raise RecordsError(f"consent for {purpose}: {exc}") from exc
    return {"dataMiningPreference": terms}


def record_key(record_id: str) -> bytes:
    """bytes32 key of a record: SHA-256 of its id (UTF-8)."""
    return hashlib.sha256(record_id.encode("utf-8")).digest()


def canonical_csv_row(row: Sequence[str]) -> bytes:
    """A CSV record's canonical bytes: the row written by csv.writer, excel dialect, `\\n` ending."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row)
    return buf.getvalue().encode("utf-8")


def canonical_json_record(obj: Any) -> bytes:
    """A JSON Lines record's canonical bytes: sorted keys, no spaces, non-ASCII kept, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class PackedRecords(Sequence[tuple[bytes, bytes, int]]):
    """Record leaf values packed as their ABI encodings (96 bytes each) in one buffer.

    A million `(bytes, bytes, int)` tuples cost ~200 MB of Python objects; the packed form is 96 MB
    and hashing reads straight from it.
    """

    def __init__(self, encoded: bytes | bytearray) -> None:
        if len(encoded) % _WORD:
            raise RecordsError(f"packed records length {len(encoded)} is not a multiple of {_WORD}")
        self._buf = bytes(encoded)

    @classmethod
    def from_values(cls, values: Iterable[tuple[bytes, bytes, int]]) -> PackedRecords:
        out = bytearray()
        for key, digest, consent in values:
            if len(key) != 32 or len(digest) != 32 or not 0 <= consent <= 255:
                raise RecordsError(f"bad record values {(key, digest, consent)!r}")
            out += key + digest + _PAD + bytes((consent,))
        return cls(out)

    def __len__(self) -> int:
        return len(self._buf) // _WORD

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        o = i * _WORD
        buf = self._buf
        return (buf[o : o + 32], buf[o + 32 : o + 64], buf[o + 95])

    def __iter__(self) -> Iterator[tuple[bytes, bytes, int]]:
        buf = self._buf
        for o in range(0, len(buf), _WORD):
            yield (buf[o : o + 32], buf[o + 32 : o + 64], buf[o + 95])

    def keys(self) -> list[bytes]:
        buf = self._buf
        return [buf[o : o + 32] for o in range(0, len(buf), _WORD)]

    def leaf_hashes(self) -> list[bytes]:
        """keccak256(keccak256(abi.encode(values))) of every record, straight from the buffer."""
        mv = memoryview(self._buf)
        k = _keccak
        return [k(k(mv[o : o + _WORD]).digest()).digest() for o in range(0, len(self._buf), _WORD)]

    @property
    def encoded(self) -> bytes:
        return self._buf


@dataclass(frozen=True)
class RecordsTree:
    """A record dataset's Merkle tree plus what is needed to find a record in it."""

    tree: StandardMerkleTree
    records: PackedRecords
    ids: tuple[str, ...]
    key_source: str  # "id field 'id'" or "row index"
    source: str

    @property
    def root(self) -> bytes:
        return self.tree.root

    @property
    def count(self) -> int:
        return len(self.records)

    def index_of(self, record: str | bytes) -> int:
        """Position of a record given its id (str) or its 32-byte key."""
        key = record if isinstance(record, bytes) else record_key(record)
        lookup = self._key_index()
        if key not in lookup:
            raise RecordNotFoundError(record if isinstance(record, str) else "0x" + record.hex())
        return lookup[key]

    def _key_index(self) -> dict[bytes, int]:
        cached: dict[bytes, int] | None = self.__dict__.get("_keys")
        if cached is None:
            cached = {k: i for i, k in enumerate(self.records.keys())}
            object.__setattr__(self, "_keys", cached)
        return cached


def _open_text(path: Path) -> io.TextIOWrapper:
    try:
        return path.open("r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise RecordsError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _detect_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("csv", "jsonl"):
            raise RecordsError(f"unknown record format {fmt!r}; expected csv or jsonl")
        return fmt
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    raise RecordsError(f"cannot tell the record format of {path} from its suffix; use .csv or .jsonl")


def read_records(
    path: str | Path,
    *,
    fmt: str | None = None,
    id_field: str = "id",
    consent_field: str = "consent",
    default_consent: Consent = Consent.ALLOWED,
) -> RecordsTree:
    """Read a CSV or JSON Lines file and build its records tree (see the module docstring)."""
    p = Path(path)
    kind = _detect_format(p, fmt)
    with _open_text(p) as fh:
        try:
            if kind == "csv":
                ids, packed, key_source = _read_csv(str(p), fh, id_field, consent_field, default_consent)
            else:
                ids, packed, key_source = _read_jsonl(str(p), fh, id_field, consent_field, default_consent)
        except UnicodeDecodeError as exc:
            raise RecordsError(f"{p} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    if not ids:
        raise RecordsError(f"{p} has no records")
    records = PackedRecords(packed)
    tree = StandardMerkleTree.from_leaf_hashes(records.leaf_hashes(), records, RECORD_LEAF_ENCODING)
    return RecordsTree(tree, records, tuple(ids), key_source, str(p))


def build_records_tree(path: str | Path, **options: Any) -> tuple[bytes, int, RecordsTree]:
    """(root, count, tree) of a record dataset file; options as for read_records."""
    rt = read_records(path, **options)
    return rt.root, rt.count, rt


class _Packer:
    """Collects (id, canonical bytes, consent) records into the packed leaf buffer."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.ids: list[str] = []
        self.seen: dict[bytes, int] = {}
        self.buf = bytearray()

    def add(self, line: int, record_id: str, canonical: bytes, consent: Consent) -> None:
        if record_id == "":
            raise RecordsFormatError(self.path, line, "empty record id")
        key = record_key(record_id)
        if key in self.seen:
            raise RecordsFormatError(
                self.path, line, f"duplicate record id {record_id!r} (first on line {self.seen[key]})"
            )
        self.seen[key] = line
        self.ids.append(record_id)
        self.buf += key + hashlib.sha256(canonical).digest() + _PAD + bytes((int(consent),))


def _consent_at(path: str, line: int, value: object) -> Consent:
    try:
        return parse_consent(value)
    except ValueError as exc:
        raise RecordsFormatError(path, line, str(exc)) from exc


def _read_csv(
    path: str, fh: io.TextIOWrapper, id_field: str, consent_field: str, default: Consent
) -> tuple[list[str], bytearray, str]:
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        return [], bytearray(), "row index"
    except csv.Error as exc:
        raise RecordsFormatError(path, reader.line_num, str(exc)) from exc
    id_col = header.index(id_field) if id_field in header else None
    consent_col = header.index(consent_field) if consent_field in header else None
    packer = _Packer(path)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    width = len(header)
    try:
        for row in reader:
            if not row:  # a blank line is not a record
                continue
            line = reader.line_num
            if len(row) != width:
                raise RecordsFormatError(path, line, f"{len(row)} fields, header has {width}")
            out.seek(0)
            out.truncate()
            writer.writerow(row)
            record_id = row[id_col] if id_col is not None else str(len(packer.ids))
            consent = _consent_at(path, line, row[consent_col]) if consent_col is not None else default
            packer.add(line, record_id, out.getvalue().encode("utf-8"), consent)
    except csv.Error as exc:
        raise RecordsFormatError(path, reader.line_num, str(exc)) from exc
    return packer.ids, packer.buf, f"id field {id_field!r}" if id_col is not None else "row index"


def _read_jsonl(
    path: str, fh: io.TextIOWrapper, id_field: str, consent_field: str, default: Consent
) -> tuple[list[str], bytearray, str]:
    packer = _Packer(path)
    uses_id: bool | None = None
    for line_no, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RecordsFormatError(path, line_no, f"not JSON: {exc.msg}") from exc
        if not isinstance(obj, dict):
            raise RecordsFormatError(
                path, line_no, f"a record must be a JSON object, got {type(obj).__name__}"
            )
        has_id = id_field in obj
        if uses_id is None:
            uses_id = has_id
        elif has_id != uses_id:
            # mixing ids and positions would make keys ambiguous
            raise RecordsFormatError(
                path,
                line_no,
                f"id field {id_field!r} {'present' if has_id else 'missing'} unlike the first record",
            )
        if has_id:
            raw = obj[id_field]
            if isinstance(raw, bool) or not isinstance(raw, str | int):
                raise RecordsFormatError(path, line_no, f"id {raw!r} must be a string or an integer")
            record_id = str(raw)
        else:
            record_id = str(len(packer.ids))
        consent = _consent_at(path, line_no, obj[consent_field]) if consent_field in obj else default
        packer.add(line_no, record_id, canonical_json_record(obj), consent)
    return packer.ids, packer.buf, f"id field {id_field!r}" if uses_id else "row index"


# --- proofs ---


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


# --- consent withdrawal ---


@dataclass(frozen=True)
class Withdrawal:
    """The next version's tree without the withdrawn records, and their leaves for the record."""

    tree: RecordsTree
    withdrawn_leaves: tuple[bytes, ...]
    withdrawn_keys: tuple[bytes, ...]


def withdraw(rt: RecordsTree, records: Iterable[str | bytes]) -> Withdrawal:
    """Exclude records (ids or 32-byte keys) and rebuild; every named record must exist.

    Leaves are returned in the old tree's input order, so the same withdrawal always lists the same
    hashes in the same order.
    """
    drop = sorted({rt.index_of(r) for r in records})
    if not drop:
        raise RecordsError("no records to withdraw")
    if len(drop) == rt.count:
        raise RecordsError("withdrawing every record would leave an empty dataset")
    dropped = set(drop)
    buf = rt.records.encoded
    kept = bytearray()
    kept_ids: list[str] = []
    for i in range(rt.count):
        if i not in dropped:
            kept += buf[i * _WORD : (i + 1) * _WORD]
            kept_ids.append(rt.ids[i])
    remaining = PackedRecords(kept)
    tree = StandardMerkleTree.from_leaf_hashes(remaining.leaf_hashes(), remaining, RECORD_LEAF_ENCODING)
    new = RecordsTree(tree, remaining, tuple(kept_ids), rt.key_source, rt.source)
    return Withdrawal(
        tree=new,
        withdrawn_leaves=tuple(rt.tree.leaf_at(i) for i in drop),
        withdrawn_keys=tuple(rt.records[i][0] for i in drop),
    )


# --- saving a dataset's tree (so proofs can be made later without the raw file) ---

TREE_FILE_FORMAT = "aitrail-records-tree-v1"


def dump_records_tree(rt: RecordsTree) -> dict[str, Any]:
    """The tree as the npm "standard-v1" dump, wrapped with the record ids and key source."""
    return {
        "format": TREE_FILE_FORMAT,
        "source": rt.source,
        "keySource": rt.key_source,
        "ids": list(rt.ids),
        "tree": rt.tree.dump(),
    }


def load_records_tree(doc: Any, origin: str = "<tree>") -> RecordsTree:
    """Read dump_records_tree() output back, rebuilding the tree to check every node and leaf."""
    if not isinstance(doc, dict) or doc.get("format") != TREE_FILE_FORMAT:
        raise RecordsError(f"{origin}: not an {TREE_FILE_FORMAT} document")
    std = StandardMerkleTree.load_unchecked(doc.get("tree"))
    if std.leaf_encoding != RECORD_LEAF_ENCODING:
        raise RecordsError(f"{origin}: leaf encoding {list(std.leaf_encoding)} is not a records tree")
    ids = doc.get("ids")
    if not isinstance(ids, list) or len(ids) != len(std) or not all(isinstance(i, str) for i in ids):
        raise RecordsError(f"{origin}: ids must be one string per value")
    records = PackedRecords.from_values((bytes(k), bytes(d), int(c)) for k, d, c in std.values)
    rebuilt = StandardMerkleTree.from_leaf_hashes(records.leaf_hashes(), records, RECORD_LEAF_ENCODING)
    # same values in the same input order must give the same array, node for node
    if not np.array_equal(rebuilt.nodes, std.nodes) or list(rebuilt.tree_indices) != list(std.tree_indices):
        raise RecordsError(f"{origin}: tree does not match its values")
    if any(record_key(i) != k for i, k in zip(ids, records.keys(), strict=True)):
        raise RecordsError(f"{origin}: a record id does not match its key")
    return RecordsTree(
        rebuilt, records, tuple(ids), str(doc.get("keySource", "")), str(doc.get("source", ""))
    )


def save_records_tree(rt: RecordsTree, path: str | Path) -> None:
    Path(path).write_text(json.dumps(dump_records_tree(rt), separators=(",", ":")), encoding="utf-8")


def open_records_tree(path: str | Path) -> RecordsTree:
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecordsError(f"cannot read {p}: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordsError(f"{p} is not JSON: {exc}") from exc
    return load_records_tree(doc, str(p))


def write_proof(doc: dict[str, Any], path: str | Path) -> None:
    """Write a proof document (from prove()) as indented JSON."""
    Path(path).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
