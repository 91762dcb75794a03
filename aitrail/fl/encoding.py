"""The deterministic byte layout of a federated update or aggregate.

    b"AITRAIL-FL1\n" ‖ header (canonical JSON: sorted keys, no spaces) ‖ b"\n" ‖ arrays

The header names the task, the round, the party (the participant for an update, the coordinator for an
aggregate), the number of training examples and every array's shape; the arrays follow in their fixed
order, each as little-endian float64, C order. The digest committed on-chain is SHA-256 of the whole.
Binding the party's address into the bytes is what makes a copied commit worthless: a participant who
copies another's digest (or CID) commits bytes that name the other participant, which the coordinator and
`aitrail fl verify` refuse as an update of the copier.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aitrail.errors import AitrailError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

MAGIC = b"AITRAIL-FL1\n"
DTYPE = "<f8"


class UpdateFormatError(AitrailError):
    """Bytes that are not an aitrail federated update or aggregate."""


@dataclass(frozen=True)
class Header:
    kind: str  # "update" or "aggregate"
    task: int
    round: int
    party: str  # lower-case 0x address
    num_examples: int
    shapes: tuple[tuple[int, ...], ...]

    def as_json(self) -> bytes:
        return json.dumps(
            {
                "kind": self.kind,
                "task": self.task,
                "round": self.round,
                "party": self.party.lower(),
                "numExamples": self.num_examples,
                "shapes": [list(s) for s in self.shapes],
                "dtype": DTYPE,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()


def encode(header: Header, arrays: list[NDArray[Any]]) -> bytes:
    import numpy as np

    if tuple(tuple(a.shape) for a in arrays) != header.shapes:
        raise UpdateFormatError("the arrays do not have the shapes the header names")
    body = b"".join(np.ascontiguousarray(a, dtype=DTYPE).tobytes() for a in arrays)
    return MAGIC + header.as_json() + b"\n" + body


def header_for(
    kind: str, task: int, round_: int, party: str, num_examples: int, arrays: list[np.ndarray[Any, Any]]
) -> Header:
    return Header(kind, task, round_, party.lower(), num_examples, tuple(tuple(a.shape) for a in arrays))


def decode(data: bytes) -> tuple[Header, list[NDArray[Any]]]:
    import numpy as np

    if not data.startswith(MAGIC):
        raise UpdateFormatError("not an aitrail federated update (no AITRAIL-FL1 header)")
    end = data.find(b"\n", len(MAGIC))
    try:
        raw = json.loads(data[len(MAGIC) : end])
        header = Header(
            str(raw["kind"]),
            int(raw["task"]),
            int(raw["round"]),
            str(raw["party"]),
            int(raw["numExamples"]),
            tuple(tuple(int(x) for x in s) for s in raw["shapes"]),
        )
        if raw["dtype"] != DTYPE:
            raise UpdateFormatError(f"array type {raw['dtype']!r}, expected {DTYPE}")
    except (ValueError, KeyError, TypeError) as exc:
        raise UpdateFormatError(f"unreadable update header ({exc})") from None
    if end < 0 or header.as_json() != data[len(MAGIC) : end]:
        raise UpdateFormatError("the update header is not in canonical form")
    arrays: list[NDArray[Any]] = []
    offset = end + 1
    for shape in header.shapes:
        count = 1
        for dim in shape:
            count *= dim
        size = count * 8
        if offset + size > len(data):
            raise UpdateFormatError("the update is shorter than its header says")
        arrays.append(np.frombuffer(data, dtype=DTYPE, count=count, offset=offset).reshape(shape).copy())
        offset += size
    if offset != len(data):
        raise UpdateFormatError("the update is longer than its header says")
    return header, arrays


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
