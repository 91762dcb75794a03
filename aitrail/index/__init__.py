"""The event index: the suite's logs in SQLite, synced in provider-sized ranges up to a finality depth,
reorg-safe, read back by the audits (see sync.py)."""

from aitrail.index.sync import EventIndex, SyncResult

__all__ = ["EventIndex", "SyncResult"]
