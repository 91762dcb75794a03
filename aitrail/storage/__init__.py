"""Storage backends behind one interface: the embedded local store (default) and a Kubo RPC client.

`open_store()` picks one from arguments or the environment, so a real IPFS node is configuration:
`AITRAIL_STORE=kubo AITRAIL_IPFS_API=http://127.0.0.1:5001` (Kubo, or js-ipfs: `JsIpfsNode` starts one).
"""

from __future__ import annotations

import os
from pathlib import Path

from aitrail.config import default_home
from aitrail.errors import ConfigError
from aitrail.storage.base import Store
from aitrail.storage.jsipfs import JsIpfsNode, JsIpfsUnavailable
from aitrail.storage.kubo import DEFAULT_API, KuboStore
from aitrail.storage.local import LocalStore

BACKENDS = ("local", "kubo")


def open_store(backend: str | None = None, *, home: Path | None = None, api_url: str | None = None) -> Store:
    """The configured store: `local` (blocks under `<aitrail home>/store`, the default) or `kubo`."""
    name = backend or os.environ.get("AITRAIL_STORE") or "local"
    if name == "local":
        return LocalStore((home or default_home()) / "store")
    if name == "kubo":
        return KuboStore(api_url or os.environ.get("AITRAIL_IPFS_API") or DEFAULT_API)
    raise ConfigError(f"unknown storage backend {name!r}: use one of {', '.join(BACKENDS)}")


__all__ = [
    "BACKENDS",
    "DEFAULT_API",
    "JsIpfsNode",
    "JsIpfsUnavailable",
    "KuboStore",
    "LocalStore",
    "Store",
    "open_store",
]
