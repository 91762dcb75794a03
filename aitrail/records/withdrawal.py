"""Consent withdrawal: the next version's tree without some records, and the leaves it drops."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aitrail.errors import RecordsError
from aitrail.merkle import StandardMerkleTree
from aitrail.records.reading import _WORD, RECORD_LEAF_ENCODING, PackedRecords, RecordsTree


@dataclass(frozen=True)
class Withdrawal:
    """The next version's tree without the withdrawn records, and their leaves for the record."""

    tree: RecordsTree
    withdrawn_leaves: tuple[bytes, ...]
    withdrawn_keys: tuple[bytes, ...]


def withdraw(rt: RecordsTree, records: Iterable[str | bytes]) -> Withdrawal:
    """Exclude records (ids or 32-byte keys) and rebuild; every named record must exist.

    Leaves are returned in the old tree's input order, so the same withdrawal always lists the same
    hashes in the same order.
    """
    drop = sorted({rt.index_of(r) for r in records})
    if not drop:
        raise RecordsError("no records to withdraw")
    if len(drop) == rt.count:
        raise RecordsError("withdrawing every record would leave an empty dataset")
    dropped = set(drop)
    buf = rt.records.encoded
    kept = bytearray()
    kept_ids: list[str] = []
    for i in range(rt.count):
        if i not in dropped:
            kept += buf[i * _WORD : (i + 1) * _WORD]
            kept_ids.append(rt.ids[i])
    remaining = PackedRecords(kept)
    tree = StandardMerkleTree.from_leaf_hashes(remaining.leaf_hashes(), remaining, RECORD_LEAF_ENCODING)
    new = RecordsTree(tree, remaining, tuple(kept_ids), rt.key_source, rt.source, rt.secret)
    return Withdrawal(
        tree=new,
        withdrawn_leaves=tuple(rt.tree.leaf_at(i) for i in drop),
        withdrawn_keys=tuple(rt.records[i][0] for i in drop),
    )
