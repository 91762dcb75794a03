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
