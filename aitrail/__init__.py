"""aitrail: a tamper-evident, auditable life for AI training data and models.

Hashes, CIDs, owners, expiries and lineage live on Ethereum; encrypted raw data lives on IPFS.
"""

from importlib.metadata import PackageNotFoundError, version

from aitrail.errors import AitrailError

try:
    __version__ = version("aitrail")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"

__all__ = ["AitrailError", "__version__"]
