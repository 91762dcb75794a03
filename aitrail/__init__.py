"""aitrail: a tamper-evident, auditable life for AI training data and models.

Hashes, CIDs, owners, expiries and lineage live on Ethereum; encrypted raw data lives on IPFS.
"""

import typing as _typing

from aitrail.errors import AitrailError

# Only the names in __all__ are public here (tests/formats/test_sdk.py): helpers go under a leading `_`.
if _typing.TYPE_CHECKING:
    from aitrail.sdk import Client, connect

__all__ = ["AitrailError", "Client", "__version__", "connect"]


def __getattr__(name: str) -> _typing.Any:
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
