"""Keep brownie from calling a transaction Anvil has mined "dropped".

brownie 1.22's receipt watcher (`TransactionReceipt._await_confirmation`) reads the sender's nonce,
then the receipt, and declares the transaction dropped if the nonce has moved past it but the receipt
is not there yet. On this loaded machine Anvil now and then answers in exactly that window (the nonce
already counts the automined transaction, the receipt is not served yet), and the caller gets
`TransactionError: Tx dropped without known replacement` for a transaction that succeeded. Seen for
light and heavy transactions alike, in the model and dataset test suites.

`install()` makes the watcher first wait (up to GRACE_SECONDS) for the receipt to be served, then run
brownie's own logic unchanged. Anvil automines, so the receipt normally arrives within milliseconds;
a transaction that really never mines still ends in brownie's "dropped" path after the grace period.
"""

from __future__ import annotations

import time
from typing import Any

from brownie.network.transaction import TransactionReceipt
from brownie.network.web3 import web3
from web3.exceptions import TransactionNotFound

GRACE_SECONDS = 10.0
_POLL_SECONDS = 0.05


def _receipt_served(txid: str) -> bool:
    try:
        receipt = web3.eth.get_transaction_receipt(txid)
    except TransactionNotFound:
        return False
    return receipt is not None and receipt["blockHash"] is not None


def install() -> None:
    """Patch brownie's receipt watcher once per process (idempotent)."""
    original = TransactionReceipt._await_confirmation
    if getattr(original, "_waits_for_receipt", False):
        return

    def await_confirmation(self: Any, block_number: Any = None, required_confs: int = 1) -> None:
        deadline = time.monotonic() + GRACE_SECONDS
        while not _receipt_served(self.txid) and time.monotonic() < deadline:
            time.sleep(_POLL_SECONDS)
        original(self, block_number, required_confs)

    await_confirmation._waits_for_receipt = True  # type: ignore[attr-defined]
    TransactionReceipt._await_confirmation = await_confirmation  # type: ignore[method-assign]
