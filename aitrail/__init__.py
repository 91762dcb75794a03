"""aitrail: a tamper-evident, auditable life for AI training data and models.

Hashes, CIDs, owners, expiries and lineage live on Ethereum; encrypted raw data lives on IPFS.
"""

from __future__ import annotations

from aitrail.errors import AitrailError

__all__ = ["AitrailError", "__version__"]


def __getattr__(name: str) -> str:
    # `__version__` is read from the installed metadata only when asked for: importlib.metadata costs
    # tens of milliseconds, a good part of the CLI's start-up for commands that never print it.
    if name != "__version__":
        raise AttributeError(f"module 'aitrail' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aitrail")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0+source"
