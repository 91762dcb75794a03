"""Storage backends behind one interface: the embedded local store (default) and a Kubo RPC client."""

from __future__ import annotations

from aitrail.storage.base import Store
from aitrail.storage.kubo import DEFAULT_API, KuboStore
from aitrail.storage.local import LocalStore

__all__ = ["DEFAULT_API", "KuboStore", "LocalStore", "Store"]
