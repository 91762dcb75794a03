"""eth_getLogs in block ranges that adapt to what the provider accepts.

Public providers refuse a range with too many blocks or results, each in its own words:
  Infura     -32005 "query returned more than 10000 results. Try with this block range [0x.., 0x..]."
  Alchemy    -32602 "Log response size exceeded. ... this block range should work: [0x.., 0x..]"
             -32600/-32602 "eth_getLogs is limited to a 2000 block range" (free tier)
  QuickNode  -32614 "eth_getLogs is limited to a 10000 range" (5 on the free plan)
A refused range is halved (or cut to the range the provider suggests); the span doubles again after
GROW_AFTER accepted ranges in a row, up to MAX_SPAN (doubling after each one would have every other call
refused on a provider whose limit sits between the two sizes). Other errors are not range errors and stop
the read.

Requests go out raw (`provider.make_request`): web3's log formatters cost more than the index's own
decoding, and the rows are stored raw anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aitrail.errors import ChainError

START_SPAN = 2_000
MAX_SPAN = 100_000
GROW_AFTER = 4

RANGE_PATTERNS = re.compile(
    r"query returned more than|log response size exceeded|block range|range is too (large|wide)|"
    r"limited to a \d+|exceed(s|ed)? (the )?max(imum)?|too many (results|logs|blocks)|"
    r"response size|results? limit",
    re.IGNORECASE,
)
SUGGESTED = re.compile(r"\[\s*(0x[0-9a-fA-F]+)\s*,\s*(0x[0-9a-fA-F]+)\s*\]")


class RpcError(ChainError):
    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method} failed: {message} (code {code})")
        self.code, self.message = code, message


def is_range_refusal(error: RpcError) -> bool:
    return error.code == -32005 or bool(RANGE_PATTERNS.search(error.message))


def suggested_end(error: RpcError, start: int) -> int | None:
    """The end block of the range the provider proposes, when it proposes one starting here."""
    match = SUGGESTED.search(error.message)
    if not match:
        return None
    lo, hi = int(match.group(1), 16), int(match.group(2), 16)
    return hi if lo == start and hi >= start else None


Request = Callable[[str, list[Any]], Any]


@dataclass
class Chunk:
    start: int
    end: int
    logs: list[dict[str, Any]]


class AdaptiveLogReader:
    def __init__(self, request: Request, span: int = START_SPAN, max_span: int = MAX_SPAN) -> None:
        self.request = request
        self.span = span
        self.max_span = max_span
        self.refusals = 0
        self.calls = 0
        self.streak = 0

    def chunks(self, addresses: list[str], start: int, end: int) -> Iterator[Chunk]:
        """Consecutive accepted ranges covering start..end, each with its logs (`removed` ones dropped)."""
        while start <= end:
            hi = min(end, start + self.span - 1)
            try:
                logs = self.request(
                    "eth_getLogs", [{"address": addresses, "fromBlock": hex(start), "toBlock": hex(hi)}]
                )
            except RpcError as exc:
                if not is_range_refusal(exc):
                    raise
                self.refusals += 1
                self.streak = 0
                if hi == start:
                    raise ChainError(
                        f"the RPC endpoint refuses eth_getLogs even for the single block {start}: "
                        f"{exc.message}"
                    ) from None
                proposed = suggested_end(exc, start)
                smaller = (
                    proposed - start + 1 if proposed is not None and proposed < hi else (hi - start + 1) // 2
                )
                self.span = max(1, smaller)
                continue
            finally:
                self.calls += 1
            yield Chunk(start, hi, [log for log in logs if not log.get("removed")])
            start = hi + 1
            self.streak += 1
            if self.streak >= GROW_AFTER:
                self.span, self.streak = min(self.max_span, self.span * 2), 0
