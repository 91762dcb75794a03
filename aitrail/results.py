"""Typed, immutable results of the flows, and their one JSON form (what the CLI's `--json` prints).

Every result is a frozen dataclass deriving from `Result`. `to_json()` gives camelCase keys (the one key
style of aitrail's JSON) made from the field names, unless a field names its own
(`field(metadata={"json": KEY})`); bytes become 0x-hex, CIDs and paths strings, nested results and
sequences their JSON. Reading a result by its JSON key (`result["contentHash"]`) works too, so code
written against the earlier dict results (scripts, notebooks) keeps working while new code uses the
attributes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_json_value(value: Any) -> Any:
    """A result, or any value inside one, as plain JSON data."""
    if isinstance(value, Result):
        return value.to_json()
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [to_json_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # a CID, an address type: its canonical text


class Result:
    """Base of every flow result (a frozen dataclass)."""

    def to_json(self) -> dict[str, Any]:
        assert dataclasses.is_dataclass(self)
        return {
            f.metadata.get("json", _camel(f.name)): to_json_value(getattr(self, f.name))
            for f in dataclasses.fields(self)
        }

    def __getitem__(self, key: str) -> Any:
        assert dataclasses.is_dataclass(self)
        for f in dataclasses.fields(self):
            if f.metadata.get("json", _camel(f.name)) == key:
                value = getattr(self, f.name)
                # the JSON form for the values whose Python type differs from the dict results' (bytes)
                return to_json_value(value) if isinstance(value, bytes | tuple) else value
        raise KeyError(key)


@dataclass(frozen=True)
class DatasetInfo(Result):
    """One registered dataset: the chain's record and the metadata document's name, license, file."""

    id: int
    name: str | None
    owner: str
    license: str | None
    content_hash: str
    cid: str
    metadata_cid: str
    records_root: str
    records_count: int
    predecessor: int
    registered_at: int
    withdrawn: bool
    withdrawn_at: int | None
    file: str | None
    size: int | None
    registered_in: str


@dataclass(frozen=True)
class CopyCheck(Result):
    """A local copy compared with the on-chain content hash."""

    dataset: int
    path: str
    intact: bool
    expected: str
    actual: str


@dataclass(frozen=True)
class Published(Result):
    """A model version published (or found published by an earlier run of the same publisher)."""

    model: str
    model_id: int
    version_id: int
    number: int
    weights_digest: str
    artifact: str
    metadata: str
    tx: str
    signer: str | None = None  # SHA-256 of the model-signing public key, when a signature was checked


@dataclass(frozen=True)
class ModelMatch(Result):
    """Weights found on-chain: which version of which model, citing which datasets."""

    path: str
    weights_digest: str
    version_id: int
    model: str
    model_id: int
    number: int
    published_at: int
    deprecated: bool
    datasets: tuple[int, ...]
    owner: str


@dataclass(frozen=True)
class LineageVersion(Result):
    version_id: int
    number: int
    publisher: str
    weights_digest: str
    datasets: tuple[int, ...]
    parents: tuple[int, ...]
    children: tuple[int, ...]
    deprecated: bool
    block: int


@dataclass(frozen=True)
class Lineage(Result):
    model: str
    model_id: int
    owner: str
    versions: tuple[LineageVersion, ...]


@dataclass(frozen=True)
class Balance(Result):
    account: str
    balance: int
    claimable: int
    credited: int
    claimed: int


@dataclass(frozen=True)
class Claimed(Result):
    account: str
    claimed: int
    tx: str


@dataclass(frozen=True)
class Purchase(Result):
    dataset: int
    fee: int
    expires_at: int
    tx: str


@dataclass(frozen=True)
class FederatedRun(Result):
    """A federated task run (or resumed) under Flower's deployment engine (`aitrail fl run`)."""

    task: int
    aggregated: int
    rounds: int
    seconds: float
