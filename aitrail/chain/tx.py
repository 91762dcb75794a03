"""Sending transactions properly, in one place.

- the nonce comes from the pending state; fees are EIP-1559 (`2 * baseFee + tip`), legacy gas price only
  on chains without a base fee;
- a transaction that would revert is caught by gas estimation before anything is sent, and decoded;
- an account that cannot pay gets one clear error before anything is sent;
- RPC faults (connection errors, timeouts) are retried a bounded number of times; a signed transaction
  is re-sent byte for byte (same nonce, same hash), so a retry can never become a second action;
- every sent transaction is journalled under `<home>/pending/` until its receipt is seen. If waiting
  times out, re-running the same action finds the journalled transaction (by hash) and waits for it,
  or returns its receipt if it was mined meanwhile, instead of sending a duplicate;
- a reverted receipt is replayed as a call at its block to get the revert data, decoded into the suite's
  custom error, and raised as a sentence (aitrail.chain.reverts).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError
from web3.types import BlockIdentifier, TxParams, TxReceipt

from aitrail._files import write_private
from aitrail.chain.reverts import DecodedRevert, decode_revert
from aitrail.errors import (
    ChainUnreachableError,
    ContractRevertError,
    InsufficientFundsError,
    TransactionError,
    TransactionTimeoutError,
)

T = TypeVar("T")
RPC_FAULTS: tuple[type[Exception], ...] = (
    requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError, TimeoutError,
)
GAS_MARGIN = 1.25  # estimation is exact on a quiet chain; the margin covers state moving before inclusion


@dataclass
class Transactor:
    """Sends and calls as one account: a LocalAccount (signed here) or an address the node has unlocked."""

    w3: Web3
    account: LocalAccount | str
    journal_dir: Path | None = None
    timeout: float = 120.0
    retries: int = 3
    poll_interval: float = 0.1
    # Adds what the chain knows to a revert sentence (e.g. the date a dataset was withdrawn).
    enrich: Callable[[DecodedRevert], str | None] | None = None

    @property
    def address(self) -> ChecksumAddress:
        if isinstance(self.account, str):
            return Web3.to_checksum_address(self.account)
        return Web3.to_checksum_address(self.account.address)

    # --- reading ---

    def call(self, fn: ContractFunction, block: BlockIdentifier = "latest") -> Any:
        """Call a view as this account; a revert becomes the decoded error's sentence."""
        try:
            return self.rpc(lambda: fn.call({"from": self.address}, block_identifier=block))
        except ContractLogicError as exc:
            raise self._error(_revert_data(exc)) from None

    def _error(self, data: str | None) -> ContractRevertError:
        decoded = decode_revert(data)
        error = decoded.error()
        if self.enrich is not None:
            try:
                better = self.enrich(decoded)
            except Exception:  # enrichment is a courtesy: the decoded sentence stands on its own
                better = None
            if better:
                error.message = better
                error.args = (better,)
        return error

    def rpc(self, request: Callable[[], T]) -> T:
        """Run one RPC request, retrying connection faults with backoff a bounded number of times."""
        for attempt in range(self.retries + 1):
            try:
                return request()
            except RPC_FAULTS as exc:
                if attempt == self.retries:
                    raise ChainUnreachableError(_endpoint(self.w3), _short(exc)) from None
                time.sleep(0.25 * 2**attempt)
        raise AssertionError("unreachable")  # the loop returns or raises

    # --- sending ---

    def transact(self, fn: ContractFunction, action: str, value: int = 0) -> TxReceipt:
        """Send `fn` as a transaction and return its successful receipt."""
        return self.send({"to": fn.address, "data": fn._encode_transaction_data(), "value": value}, action)

    def deploy(self, creation_code: str, action: str) -> TxReceipt:
        return self.send({"data": creation_code, "value": 0}, action)

    def transfer(self, to: str, value_wei: int, action: str) -> TxReceipt:
        return self.send({"to": Web3.to_checksum_address(to), "value": value_wei, "data": "0x"}, action)

    def send(self, call: dict[str, Any], action: str) -> TxReceipt:
        journal = _Journal(self.journal_dir, self.rpc(lambda: self.w3.eth.chain_id), self.address)
        earlier = self._earlier_attempt(journal, call)
        if earlier is not None:
            return self._wait(journal, earlier, call, action)
        tx = self._prepare(call, action)
        entry = self._broadcast(journal, tx, call)
        return self._wait(journal, entry, call, action)

    def _prepare(self, call: dict[str, Any], action: str) -> TxParams:
        params: dict[str, Any] = {"from": self.address, "value": call.get("value", 0), "data": call["data"]}
        if call.get("to"):
            params["to"] = call["to"]
        try:
            estimate = self.rpc(lambda: self.w3.eth.estimate_gas(cast(TxParams, params)))
        except ContractLogicError as exc:
            raise self._error(_revert_data(exc)) from None
        except Web3RPCError as exc:
            if "insufficient funds" in str(exc).lower():
                balance = self.rpc(lambda: self.w3.eth.get_balance(self.address))
                value = int(call.get("value", 0))
                raise InsufficientFundsError(self.address, balance, value, action) from None
            raise TransactionError(f"cannot {action}: {_short(exc)}") from None
        block = self.rpc(lambda: self.w3.eth.get_block("latest"))
        gas = min(int(estimate * GAS_MARGIN), int(block["gasLimit"]))
        fees = self._fees(block)
        price = int(fees.get("maxFeePerGas", fees.get("gasPrice", 0)))
        needed = gas * price + int(call.get("value", 0))
        balance = self.rpc(lambda: self.w3.eth.get_balance(self.address))
        if balance < needed:
            raise InsufficientFundsError(self.address, balance, needed, action)
        nonce = self.rpc(lambda: self.w3.eth.get_transaction_count(self.address, "pending"))
        chain_id = self.rpc(lambda: self.w3.eth.chain_id)
        return cast(TxParams, {**params, **fees, "gas": gas, "nonce": nonce, "chainId": chain_id})

    def _fees(self, block: Any) -> dict[str, int]:
        base = block.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": int(self.rpc(lambda: self.w3.eth.gas_price))}
        try:
            tip = int(self.rpc(lambda: self.w3.eth.max_priority_fee))
        except Web3RPCError:  # a node without eth_maxPriorityFeePerGas
            tip = Web3.to_wei(1, "gwei")
        return {"maxFeePerGas": 2 * int(base) + tip, "maxPriorityFeePerGas": tip}

    def _broadcast(self, journal: _Journal, tx: TxParams, call: dict[str, Any]) -> dict[str, Any]:
        if isinstance(self.account, str):  # the node signs: the hash is known only once it answers
            try:  # sent once: without the hash a retry could not tell whether the first one arrived
                tx_hash = self.w3.eth.send_transaction(tx)
            except RPC_FAULTS as exc:
                raise ChainUnreachableError(_endpoint(self.w3), _short(exc)) from None
            entry = {"hash": HexBytes(tx_hash).to_0x_hex(), "nonce": tx["nonce"], **_key(call), "raw": None}
            journal.add(entry)
            return entry
        signed = self.account.sign_transaction(cast(dict[str, Any], tx))
        raw = bytes(signed.raw_transaction)
        entry = {"hash": "0x" + keccak(raw).hex(), "nonce": tx["nonce"], **_key(call),
                 "raw": "0x" + raw.hex()}
        journal.add(entry)  # before sending: a crash after the send still leaves a trace to wait for
        self._send_raw(raw, entry["hash"])
        return entry

    def _send_raw(self, raw: bytes, tx_hash: str) -> None:
        for attempt in range(self.retries + 1):
            try:
                self.w3.eth.send_raw_transaction(raw)
                return
            except RPC_FAULTS as exc:
                # The node may have received it before the fault: look it up by hash before re-sending.
                if self._known(tx_hash):
                    return
                if attempt == self.retries:
                    raise ChainUnreachableError(_endpoint(self.w3), _short(exc)) from None
                time.sleep(0.25 * 2**attempt)
            except Web3RPCError as exc:
                text = str(exc).lower()
                if ("already known" in text or "nonce too low" in text) and self._known(tx_hash):
                    return
                if "insufficient funds" in text:
                    balance = self.rpc(lambda: self.w3.eth.get_balance(self.address))
                    raise InsufficientFundsError(
                        self.address, balance, balance + 1, "this transaction"
                    ) from None
                raise TransactionError(f"the node rejected transaction {tx_hash}: {_short(exc)}") from None

    def _known(self, tx_hash: str) -> bool:
        try:
            self.rpc(lambda: self.w3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
            return True
        except TransactionNotFound:
            return False

    def _earlier_attempt(self, journal: _Journal, call: dict[str, Any]) -> dict[str, Any] | None:
        """A journalled transaction for the same call that was mined or is still pending, if any."""
        latest_nonce = self.rpc(lambda: self.w3.eth.get_transaction_count(self.address, "latest"))
        for entry in journal.entries():
            same = {k: entry.get(k) for k in ("to", "data", "value")} == _key(call)
            if self._receipt(entry["hash"]) is not None:
                if same:
                    return entry  # mined after an earlier run gave up waiting: that action is done
                journal.remove(entry["hash"])
                continue
            if self._known(entry["hash"]):
                if same:
                    return entry  # still pending: wait for it rather than send it twice
                continue
            if entry["nonce"] < latest_nonce or not entry.get("raw"):
                journal.remove(entry["hash"])  # dropped or replaced: that action never happened
                continue
            # Lost from the node's pool (e.g. the node restarted): re-send the very same bytes.
            self._send_raw(bytes.fromhex(entry["raw"][2:]), entry["hash"])
            if same:
                return entry
        return None

    def _receipt(self, tx_hash: str) -> TxReceipt | None:
        try:
            return self.rpc(lambda: self.w3.eth.get_transaction_receipt(tx_hash))  # type: ignore[arg-type]
        except TransactionNotFound:
            return None

    def _wait(self, journal: _Journal, entry: dict[str, Any], call: dict[str, Any], action: str) -> TxReceipt:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                receipt = self._receipt(entry["hash"])
            except ChainUnreachableError:
                receipt = None  # keep waiting until the deadline: the node may come back
            if receipt is not None:
                journal.remove(entry["hash"])
                if receipt["status"] != 1:
                    raise self._explain_failure(receipt, call, action)
                return receipt
            if time.monotonic() >= deadline:
                raise TransactionTimeoutError(entry["hash"], int(entry["nonce"]), self.timeout)
            time.sleep(self.poll_interval)

    def _explain_failure(self, receipt: TxReceipt, call: dict[str, Any], action: str) -> TransactionError:
        params: dict[str, Any] = {"from": self.address, "data": call["data"], "value": call.get("value", 0),
                                  "gas": receipt["gasUsed"] * 2}
        if call.get("to"):
            params["to"] = call["to"]
        tx_hash = HexBytes(receipt["transactionHash"]).to_0x_hex()
        try:
            self.rpc(lambda: self.w3.eth.call(cast(TxParams, params), receipt["blockNumber"]))
        except ContractLogicError as exc:
            error = self._error(_revert_data(exc))
            error.message = f"{error.message} (transaction {tx_hash} reverted)"
            error.args = (error.message,)
            return error
        tx = self.rpc(lambda: self.w3.eth.get_transaction(receipt["transactionHash"]))
        if receipt["gasUsed"] >= tx["gas"]:
            return TransactionError(f"{action}: transaction {tx_hash} ran out of gas")
        return ContractRevertError(f"{action}: transaction {tx_hash} reverted", "", {})


class _Journal:
    """Transactions sent but not yet seen mined, per chain and account, in one small JSON file."""

    def __init__(self, folder: Path | None, chain_id: int, address: str) -> None:
        self.path = folder / f"{chain_id}-{address.lower()}.json" if folder else None
        self._memory: list[dict[str, Any]] = []

    def entries(self) -> list[dict[str, Any]]:
        if self.path is None:
            return list(self._memory)
        try:
            data = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError):
            return []
        return [e for e in data if isinstance(e, dict) and "hash" in e] if isinstance(data, list) else []

    def add(self, entry: dict[str, Any]) -> None:
        self._save([*self.entries(), entry])

    def remove(self, tx_hash: str) -> None:
        remaining = [e for e in self.entries() if e["hash"] != tx_hash]
        self._save(remaining)

    def _save(self, entries: list[dict[str, Any]]) -> None:
        if self.path is None:
            self._memory = entries
            return
        if not entries:
            self.path.unlink(missing_ok=True)
            return
        write_private(self.path, json.dumps(entries, indent=1))


def _key(call: dict[str, Any]) -> dict[str, Any]:
    data = call.get("data") or "0x"
    data = data if isinstance(data, str) else "0x" + bytes(data).hex()
    to = call.get("to")
    return {"to": to.lower() if to else None, "data": data.lower(), "value": int(call.get("value", 0))}


def _revert_data(exc: ContractLogicError) -> str | None:
    data = exc.data
    if isinstance(data, dict):
        data = data.get("data") or next(iter(data.values()), None)
    return data if isinstance(data, str) else None


def _endpoint(w3: Web3) -> str:
    return str(getattr(w3.provider, "endpoint_uri", "the RPC endpoint"))


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "Connection refused" in text or "Failed to establish" in text:
        return "connection refused"
    return text[:200]
