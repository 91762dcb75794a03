"""aitrail: a tamper-evident, auditable life for AI training data and models.

Hashes, CIDs, owners, expiries and lineage live on Ethereum; encrypted raw data lives on IPFS.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aitrail.errors import AitrailError

if TYPE_CHECKING:
    from aitrail.sdk import Client, connect

__all__ = ["AitrailError", "Client", "__version__", "connect"]


def __getattr__(name: str) -> Any:
    # The SDK (web3, the flows: over a second to import) and `__version__` (importlib.metadata, tens of
    # milliseconds) are loaded only when asked for, so the CLI, which imports this package, starts fast.
    if name in ("connect", "Client"):
        from aitrail import sdk

        return getattr(sdk, name)
    if name != "__version__":
        raise AttributeError(f"module 'aitrail' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aitrail")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0+source"
