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
