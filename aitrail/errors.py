"""One exception tree for the whole package.

Every error a user can meet derives from AitrailError and formats its own one-line message from
structured fields, so the CLI prints `error: <message>` and exits non-zero, never a traceback.
"""

from __future__ import annotations


class AitrailError(Exception):
    """Root of every error aitrail raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(AitrailError):
    """Bad configuration or option values."""


class ChainError(AitrailError):
    """Talking to the chain failed."""


class ChainUnreachableError(ChainError):
    def __init__(self, rpc_url: str, reason: str) -> None:
        super().__init__(f"chain unreachable at {rpc_url}: {reason}")
        self.rpc_url = rpc_url
        self.reason = reason


# --- content addressing, storage, encryption (issue 5) ---


class CidError(AitrailError):
    """A CID string or binary form that cannot be parsed, or an unsupported codec/hash."""


class StorageError(AitrailError):
    """A storage backend failed."""


class BlockNotFoundError(StorageError):
    def __init__(self, cid: str) -> None:
        super().__init__(f"block {cid} not found in the store")
        self.cid = cid


class BlockCorruptedError(StorageError):
    def __init__(self, cid: str, actual: str) -> None:
        super().__init__(f"block {cid} is corrupted: its bytes hash to {actual}")
        self.cid = cid
        self.actual = actual


class DagFormatError(StorageError):
    def __init__(self, cid: str, reason: str) -> None:
        super().__init__(f"block {cid} is not a valid UnixFS node: {reason}")
        self.cid = cid
        self.reason = reason


class KuboUnreachableError(StorageError):
    def __init__(self, api_url: str, reason: str) -> None:
        super().__init__(f"IPFS (Kubo) API unreachable at {api_url}: {reason}")
        self.api_url = api_url
        self.reason = reason


class KuboApiError(StorageError):
    def __init__(self, command: str, status: int, message: str, code: int | None = None) -> None:
        super().__init__(f"IPFS (Kubo) {command} failed (HTTP {status}): {message}")
        self.command = command
        self.status = status
        self.kubo_message = message
        self.code = code


class CarFormatError(StorageError):
    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"CAR {source} is invalid: {reason}")
        self.source = source
        self.reason = reason


class ImportInputError(AitrailError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot add {path}: {reason}")
        self.path = path
        self.reason = reason


class CryptoError(AitrailError):
    """Encryption, decryption or key wrapping failed."""


class DecryptionError(CryptoError):
    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"cannot decrypt {what}: {reason}")
        self.what = what
        self.reason = reason


class KeyUnwrapError(CryptoError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"cannot unwrap the data key: {reason}")
        self.reason = reason


class ContentHashMismatchError(AitrailError):
    def __init__(self, cid: str, expected: str, actual: str) -> None:
        super().__init__(f"content of {cid} has SHA-256 {actual}, expected {expected}")
        self.cid = cid
        self.expected = expected
        self.actual = actual


# --- Merkle trees and record datasets (aitrail.merkle, aitrail.records) ---


class MerkleError(AitrailError):
    """A Merkle tree could not be built, read or queried."""


class MerkleProofError(MerkleError):
    """A proof is malformed (not merely wrong: a wrong proof just fails to verify)."""


class RecordsError(AitrailError):
    """A record dataset could not be read or turned into leaves."""


class RecordsFormatError(RecordsError):
    def __init__(self, path: str, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


class RecordNotFoundError(RecordsError):
    def __init__(self, record: str) -> None:
        super().__init__(f"record {record!r} is not in the dataset")
        self.record = record


class ProofFileError(RecordsError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"bad proof file {path}: {reason}")
        self.path = path
        self.reason = reason
