"""Reading record files (CSV, JSON Lines) into leaves: ids, canonical bytes, consent, the tree.

The definition of a leaf is in the package docstring (aitrail/records/__init__.py)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sha3

from aitrail.errors import RecordNotFoundError, RecordsError, RecordsFormatError

if TYPE_CHECKING:  # imported where a tree is built: aitrail.merkle loads numpy
    from aitrail.merkle import StandardMerkleTree

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


_SECRET_INFO = b"aitrail records secret v1"


def records_secret(data_key: bytes) -> bytes:
    """The per-dataset secret that salts record keys and digests: HMAC-SHA256 of a fixed label under the
    dataset's data key. Everyone who may decrypt the data (owner, grantees) can rebuild the leaves; the
    public, who sees only keys and digests, cannot test guessed ids or rows against them."""
    return hmac.new(data_key, _SECRET_INFO, hashlib.sha256).digest()


def record_salt(secret: bytes, record_id: str) -> bytes:
    """One record's salt, HMAC-SHA256 of its id under the dataset secret. A proof file carries it, so the
    data subject can check the key (and their row) without learning anything about other records."""
    return hmac.new(secret, record_id.encode("utf-8"), hashlib.sha256).digest()


def record_key(record_id: str, salt: bytes = b"") -> bytes:
    """bytes32 key of a record: SHA-256 of its salt followed by its id (UTF-8); no salt: of the id."""
    return hashlib.sha256(salt + record_id.encode("utf-8")).digest()


def record_digest(canonical: bytes, salt: bytes = b"") -> bytes:
    """recordSha256 of a record: SHA-256 of its salt followed by its canonical bytes."""
    return hashlib.sha256(salt + canonical).digest()


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
    # The dataset secret the keys and digests were salted with (None: unsalted); never printed or saved.
    secret: bytes | None = field(default=None, repr=False, compare=False)

    def salt_of(self, record_id: str) -> bytes:
        return record_salt(self.secret, record_id) if self.secret is not None else b""

    @property
    def root(self) -> bytes:
        return self.tree.root

    @property
    def count(self) -> int:
        return len(self.records)

    def index_of(self, record: str | bytes) -> int:
        """Position of a record given its id (str) or its 32-byte key."""
        key = record if isinstance(record, bytes) else record_key(record, self.salt_of(record))
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
    secret: bytes | None = None,
) -> RecordsTree:
    """Read a CSV or JSON Lines file and build its records tree (see the module docstring), salted with
    the dataset `secret` (records_secret of the data key) when given."""
    p = Path(path)
    kind = _detect_format(p, fmt)
    with _open_text(p) as fh:
        try:
            packer = _Packer(str(p), secret)
            if kind == "csv":
                key_source = _read_csv(packer, fh, id_field, consent_field, default_consent)
            else:
                key_source = _read_jsonl(packer, fh, id_field, consent_field, default_consent)
            ids, packed = packer.ids, packer.buf
        except UnicodeDecodeError as exc:
            raise RecordsError(f"{p} is not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    if not ids:
        raise RecordsError(f"{p} has no records")
    records = PackedRecords(packed)
    from aitrail.merkle import StandardMerkleTree

    tree = StandardMerkleTree.from_leaf_hashes(records.leaf_hashes(), records, RECORD_LEAF_ENCODING)
    return RecordsTree(tree, records, tuple(ids), key_source, str(p), secret)


def build_records_tree(path: str | Path, **options: Any) -> tuple[bytes, int, RecordsTree]:
    """(root, count, tree) of a record dataset file; options as for read_records."""
    rt = read_records(path, **options)
    return rt.root, rt.count, rt


class _Packer:
    """Collects (id, canonical bytes, consent) records into the packed leaf buffer."""

    def __init__(self, path: str, secret: bytes | None = None) -> None:
        self.path = path
        self.secret = secret
        self.ids: list[str] = []
        self.seen: dict[str, int] = {}
        self.buf = bytearray()

    def add(self, line: int, record_id: str, canonical: bytes, consent: Consent) -> None:
        if record_id == "":
            raise RecordsFormatError(self.path, line, "empty record id")
        if record_id in self.seen:
            raise RecordsFormatError(
                self.path, line, f"duplicate record id {record_id!r} (first on line {self.seen[record_id]})"
            )
        self.seen[record_id] = line
        self.ids.append(record_id)
        salt = record_salt(self.secret, record_id) if self.secret is not None else b""
        digest = record_digest(canonical, salt)
        self.buf += record_key(record_id, salt) + digest + _PAD + bytes((int(consent),))


def _consent_at(path: str, line: int, value: object) -> Consent:
    try:
        return parse_consent(value)
    except ValueError as exc:
        raise RecordsFormatError(path, line, str(exc)) from exc


def _read_csv(
    packer: _Packer, fh: io.TextIOWrapper, id_field: str, consent_field: str, default: Consent
) -> str:
    path = packer.path
    reader = csv.reader(fh)
    try:
        header = next(reader)
    except StopIteration:
        return "row index"
    except csv.Error as exc:
        raise RecordsFormatError(path, reader.line_num, str(exc)) from exc
    id_col = header.index(id_field) if id_field in header else None
    consent_col = header.index(consent_field) if consent_field in header else None
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
    return f"id field {id_field!r}" if id_col is not None else "row index"


def _read_jsonl(
    packer: _Packer, fh: io.TextIOWrapper, id_field: str, consent_field: str, default: Consent
) -> str:
    path = packer.path
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
    return f"id field {id_field!r}" if uses_id else "row index"
