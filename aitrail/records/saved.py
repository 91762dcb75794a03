"""A dataset's records tree saved to disk, so proofs can be made later without the raw file.

A saved tree is rebuilt and checked on load, so a forged value or id is refused. The dataset secret of a
salted tree is not saved: it is derived again from the data key (`secret=` on load), which also lets
the ids be checked against their keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from aitrail.errors import RecordsError
from aitrail.merkle import StandardMerkleTree
from aitrail.records.reading import (
    RECORD_LEAF_ENCODING,
    PackedRecords,
    RecordsTree,
    record_key,
    record_salt,
)

TREE_FILE_FORMAT = "aitrail-records-tree-v1"


def dump_records_tree(rt: RecordsTree) -> dict[str, Any]:
    """The tree as the npm "standard-v1" dump, wrapped with the record ids and key source."""
    return {
        "format": TREE_FILE_FORMAT,
        "source": rt.source,
        "keySource": rt.key_source,
        "ids": list(rt.ids),
        "salted": rt.secret is not None,
        "tree": rt.tree.dump(),
    }


def load_records_tree(doc: Any, origin: str = "<tree>", secret: bytes | None = None) -> RecordsTree:
    """Read dump_records_tree() output back, rebuilding the tree to check every node and leaf (and,
    for a salted tree, each id against its key under `secret`, which a salted tree needs)."""
    if not isinstance(doc, dict) or doc.get("format") != TREE_FILE_FORMAT:
        raise RecordsError(f"{origin}: not an {TREE_FILE_FORMAT} document")
    std = StandardMerkleTree.load_unchecked(doc.get("tree"))
    if std.leaf_encoding != RECORD_LEAF_ENCODING:
        raise RecordsError(f"{origin}: leaf encoding {list(std.leaf_encoding)} is not a records tree")
    ids = doc.get("ids")
    if not isinstance(ids, list) or len(ids) != len(std) or not all(isinstance(i, str) for i in ids):
        raise RecordsError(f"{origin}: ids must be one string per value")
    records = PackedRecords.from_values((bytes(k), bytes(d), int(c)) for k, d, c in std.values)
    rebuilt = StandardMerkleTree.from_leaf_hashes(records.leaf_hashes(), records, RECORD_LEAF_ENCODING)
    # same values in the same input order must give the same array, node for node
    if not np.array_equal(rebuilt.nodes, std.nodes) or list(rebuilt.tree_indices) != list(std.tree_indices):
        raise RecordsError(f"{origin}: tree does not match its values")
    salted = bool(doc.get("salted", False))
    if salted and secret is None:
        raise RecordsError(f"{origin}: a salted records tree needs the dataset's secret to be read")
    key_secret = secret if salted else None

    def key_of(record_id: str) -> bytes:
        return record_key(record_id, record_salt(key_secret, record_id) if key_secret is not None else b"")

    if any(key_of(i) != k for i, k in zip(ids, records.keys(), strict=True)):
        raise RecordsError(f"{origin}: a record id does not match its key")
    return RecordsTree(
        rebuilt, records, tuple(ids), str(doc.get("keySource", "")), str(doc.get("source", "")), key_secret
    )


def save_records_tree(rt: RecordsTree, path: str | Path) -> None:
    Path(path).write_text(json.dumps(dump_records_tree(rt), separators=(",", ":")), encoding="utf-8")


def open_records_tree(path: str | Path, secret: bytes | None = None) -> RecordsTree:
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RecordsError(f"cannot read {p}: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecordsError(f"{p} is not JSON: {exc}") from exc
    return load_records_tree(doc, str(p), secret)
