"""Storage backends behind one interface: the embedded local store (default) and a Kubo RPC client.

`open_store()` picks one from arguments or the environment, so a real IPFS node is configuration:
`AITRAIL_STORE=kubo AITRAIL_IPFS_API=http://127.0.0.1:5001` (Kubo, or js-ipfs: `JsIpfsNode` starts one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aitrail.config import default_home
from aitrail.errors import ConfigError
from aitrail.storage.base import Store
from aitrail.storage.local import LocalStore

if TYPE_CHECKING:
    from aitrail.storage.jsipfs import JsIpfsNode, JsIpfsUnavailable
    from aitrail.storage.kubo import KuboStore

BACKENDS = ("local", "kubo")
DEFAULT_API = "http://127.0.0.1:5001"
# Imported on first use: the Kubo client pulls in requests, which the embedded store and the audit's
# start-up do without (a third of a second here).
_LAZY = {
    "KuboStore": "aitrail.storage.kubo",
    "JsIpfsNode": "aitrail.storage.jsipfs",
    "JsIpfsUnavailable": "aitrail.storage.jsipfs",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(backend: str | None = None, *, home: Path | None = None, api_url: str | None = None) -> Store:
    """The configured store: `local` (blocks under `<aitrail home>/store`, the default) or `kubo`."""
    name = backend or os.environ.get("AITRAIL_STORE") or "local"
    if name == "local":
        return LocalStore((home or default_home()) / "store")
    if name == "kubo":
        from aitrail.storage.kubo import KuboStore

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
