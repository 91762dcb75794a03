"""The physical gas floor of a mined transaction, to show how far an operation is from the limit.

floor = 21,000 (intrinsic) + 22,100 per storage slot that went from zero to non-zero
        + calldata (16 gas per non-zero byte, 4 per zero byte)
        + events (375 + 375 per topic + 8 per data byte)

This is the formula of ../shared/ANCHORS.md. Fresh slots come from the node's `prestateTracer` in diff
mode (Anvil and geth both serve it), so the count is what the transaction really wrote, not a guess.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from web3 import Web3

INTRINSIC = 21_000
FRESH_SLOT = 22_100
CALLDATA_NONZERO = 16
CALLDATA_ZERO = 4
LOG_BASE = 375
LOG_TOPIC = 375
LOG_DATA_BYTE = 8


@dataclass(frozen=True)
class GasFloor:
    fresh_slots: int
    calldata: int
    events: int

    @property
    def total(self) -> int:
        return INTRINSIC + FRESH_SLOT * self.fresh_slots + self.calldata + self.events

    def as_dict(self) -> dict[str, int]:
        return {**asdict(self), "total": self.total}


def calldata_gas(data: bytes) -> int:
    zeros = data.count(0)
    return CALLDATA_ZERO * zeros + CALLDATA_NONZERO * (len(data) - zeros)


def event_gas(logs: list[Any]) -> int:
    return sum(
        LOG_BASE + LOG_TOPIC * len(log["topics"]) + LOG_DATA_BYTE * len(bytes(log["data"])) for log in logs
    )


def fresh_slots(w3: Web3, tx_hash: str) -> int:
    """Storage slots this transaction took from zero (or absent) to non-zero."""
    response = w3.provider.make_request(
        "debug_traceTransaction",  # type: ignore[arg-type]
        [tx_hash, {"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}],
    )
    result = response["result"]
    count = 0
    for address, post in result.get("post", {}).items():
        pre_storage = result.get("pre", {}).get(address, {}).get("storage", {})
        for slot, value in post.get("storage", {}).items():
            if int(value, 16) != 0 and int(pre_storage.get(slot, "0x0"), 16) == 0:
                count += 1
    return count


def gas_floor(w3: Web3, tx_hash: str) -> GasFloor:
    tx = w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
    receipt = w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    return GasFloor(
        fresh_slots=fresh_slots(w3, tx_hash),
        calldata=calldata_gas(bytes(tx["input"])),
        events=event_gas(list(receipt["logs"])),
    )
