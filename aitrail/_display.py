"""How amounts and times are shown to people and read from them: one helper each, used by the CLI, the
flows, the revert sentences and the demo."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aitrail.errors import AitrailError

TOKEN = 10**18  # base units per TRAIL (18 decimals)


def tokens(amount: Any) -> str:
    """Token units as an exact decimal: 1500000000000000000 → '1.5 TRAIL'."""
    whole, frac = divmod(int(amount), TOKEN)
    return f"{whole:,}" + (("." + f"{frac:018d}".rstrip("0")) if frac else "") + " TRAIL"


def parse_tokens(text: str) -> int:
    """'2.5' → 2.5 TRAIL in base units, exactly."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AitrailError(f"not an amount of tokens: {text!r}") from None
    units = value * TOKEN
    if value < 0 or units != units.to_integral_value() or units >= 2**256:
        raise AitrailError(f"not an amount of tokens: {text!r}")
    return int(units)


def when(ts: Any) -> str:
    """A unix time as UTC date and minute: 2026-11-02 13:05 UTC."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(ts: Any) -> str:
    """A unix time as its UTC day: 2026-11-02."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d")


def date(ts: Any) -> str:
    """A unix time as a UTC day, with the minute unless it is midnight (deadlines, expiries)."""
    moment = datetime.fromtimestamp(int(ts), UTC)
    return day(ts) if moment.hour == moment.minute == 0 else when(ts)
