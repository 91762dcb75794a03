"""Sending transactions: preflight revert decoding, reverted receipts, timeouts without duplicates,
RPC faults retried without a second action, unfunded accounts refused before sending."""

import threading
import time

import pytest
import requests
from eth_account import Account
from web3 import HTTPProvider, Web3

from aitrail import abi
from aitrail.chain.tx import Transactor
from aitrail.errors import (
    ChainUnreachableError,
    ContractRevertError,
    InsufficientFundsError,
    TransactionTimeoutError,
)

CAP = 10**24


@pytest.fixture(scope="module")
def token(w3, owner_key, tmp_path_factory):
    sender = Transactor(w3, owner_key)
    factory = w3.eth.contract(abi=abi.abi("RewardToken"), bytecode=abi.bytecode("RewardToken"))
    receipt = sender.deploy(factory.constructor(owner_key.address, CAP).data_in_transaction, "deploy")
    contract = w3.eth.contract(address=receipt["contractAddress"], abi=abi.abi("RewardToken"))
    role = contract.functions.MINTER_ROLE().call()
    sender.transact(contract.functions.grantRole(role, owner_key.address), "grant minter")
    return contract


@pytest.fixture
def manual_mining(w3):
    w3.provider.make_request("evm_setAutomine", [False])
    yield
    w3.provider.make_request("evm_mine", [])
    w3.provider.make_request("evm_setAutomine", [True])


def _nonce(w3, address, block="latest"):
    return w3.eth.get_transaction_count(address, block)


def test_transact_uses_eip1559_fees_and_returns_the_receipt(w3, token, owner_key):
    receipt = Transactor(w3, owner_key).transact(token.functions.mint(owner_key.address, 7), "mint")
    tx = w3.eth.get_transaction(receipt["transactionHash"])
    assert receipt["status"] == 1
    assert tx["type"] == 2
    assert tx["maxFeePerGas"] >= w3.eth.get_block(receipt["blockNumber"])["baseFeePerGas"]


def test_a_revert_is_decoded_before_anything_is_sent(w3, token, other_key):
    before = _nonce(w3, other_key.address)
    with pytest.raises(ContractRevertError) as info:
        Transactor(w3, other_key).transact(token.functions.mint(other_key.address, 1), "mint")
    assert info.value.error == "AccessControlUnauthorizedAccount"
    assert str(info.value) == f"{other_key.address} lacks the role this action needs"
    assert _nonce(w3, other_key.address) == before


def test_a_view_revert_is_decoded_too(w3, token, other_key):
    stranger = Account.create().address
    with pytest.raises(ContractRevertError, match=r"holds 0 TRAIL, needs 0\.000000000000000005 TRAIL"):
        Transactor(w3, stranger).call(token.functions.transfer(other_key.address, 5))


def test_a_receipt_that_reverted_is_replayed_and_decoded(w3, token, owner_key, other_key, manual_mining):
    role = token.functions.MINTER_ROLE().call()
    # grant then revoke in the same block, with the minter's mint estimated before the revoke is mined
    w3.provider.make_request("evm_setAutomine", [True])
    Transactor(w3, owner_key).transact(token.functions.grantRole(role, other_key.address), "grant")
    w3.provider.make_request("evm_setAutomine", [False])
    revoke_fn = token.functions.revokeRole(role, other_key.address)
    revoke = owner_key.sign_transaction(
        revoke_fn.build_transaction(
            {
                "from": owner_key.address,
                "nonce": _nonce(w3, owner_key.address, "pending"),
                "gas": 200_000,
                "maxFeePerGas": 10**11,
                "maxPriorityFeePerGas": 10**10,
            }
        )
    )
    w3.eth.send_raw_transaction(revoke.raw_transaction)
    outcome = {}

    def mint():
        try:
            outcome["receipt"] = Transactor(w3, other_key, timeout=20).transact(
                token.functions.mint(other_key.address, 1), "mint"
            )
        except Exception as exc:  # handed to the main thread
            outcome["error"] = exc

    worker = threading.Thread(target=mint)
    worker.start()
    deadline = time.time() + 10
    while int(w3.provider.make_request("txpool_status", [])["result"]["pending"], 16) < 2:
        assert time.time() < deadline
        time.sleep(0.05)
    w3.provider.make_request("evm_mine", [])
    worker.join(20)
    error = outcome["error"]
    assert isinstance(error, ContractRevertError)
    assert error.error == "AccessControlUnauthorizedAccount"
    assert "reverted)" in str(error) and "lacks the role" in str(error)


def test_timeout_then_rerun_waits_for_the_same_transaction(w3, token, owner_key, tmp_path, manual_mining):
    journal = tmp_path / "pending"
    start = _nonce(w3, owner_key.address)
    fn = token.functions.mint("0x" + "77" * 20, 3)
    with pytest.raises(TransactionTimeoutError) as first:
        Transactor(w3, owner_key, journal_dir=journal, timeout=0.5).transact(fn, "mint")
    with pytest.raises(TransactionTimeoutError) as second:
        Transactor(w3, owner_key, journal_dir=journal, timeout=0.5).transact(fn, "mint")
    assert second.value.tx_hash == first.value.tx_hash
    assert _nonce(w3, owner_key.address, "pending") == start + 1
    w3.provider.make_request("evm_mine", [])
    receipt = Transactor(w3, owner_key, journal_dir=journal).transact(fn, "mint")
    assert receipt["transactionHash"].to_0x_hex() == first.value.tx_hash
    assert _nonce(w3, owner_key.address) == start + 1
    assert token.functions.balanceOf("0x" + "77" * 20).call() == 3
    assert not list(journal.glob("*.json"))


class _LosesTheFirstSendAnswer(HTTPProvider):
    """The node receives the transaction, but the answer is lost on the way back (a real-world fault)."""

    sends = 0

    def make_request(self, method, params):
        response = super().make_request(method, params)
        if method == "eth_sendRawTransaction":
            type(self).sends += 1
            if type(self).sends == 1:
                raise requests.exceptions.ConnectionError("connection reset by peer")
        return response


def test_a_lost_send_answer_is_not_a_second_action(devchain, token, owner_key):
    w3 = Web3(_LosesTheFirstSendAnswer(devchain.url))
    start = _nonce(w3, owner_key.address)
    holder = "0x" + "78" * 20
    receipt = Transactor(w3, owner_key).transact(token.functions.mint(holder, 4), "mint")
    assert receipt["status"] == 1
    assert _nonce(w3, owner_key.address) == start + 1
    assert token.functions.balanceOf(holder).call() == 4


def test_an_unfunded_account_is_refused_before_sending(w3, token):
    poor = Account.create()
    with pytest.raises(InsufficientFundsError, match=rf"account {poor.address} cannot pay for approve"):
        Transactor(w3, poor).transact(token.functions.approve(poor.address, 1), "approve")
    assert _nonce(w3, poor.address, "pending") == 0


def test_an_unreachable_node_is_one_error_after_bounded_retries(token, owner_key, port):
    url = f"http://127.0.0.1:{port()}"
    sender = Transactor(Web3(HTTPProvider(url)), owner_key, retries=1)
    with pytest.raises(ChainUnreachableError, match=f"chain unreachable at {url}"):
        sender.transact(token.functions.mint(owner_key.address, 1), "mint")


def test_a_journalled_transaction_lost_by_the_node_is_resent_byte_for_byte(w3, token, owner_key, tmp_path):
    """A crash between journalling and sending (or a node restart) leaves a signed transaction the node
    never saw: the next run of the same action sends those very bytes, not a second transaction."""
    from aitrail.chain.tx import _Journal, _key

    holder = "0x" + "79" * 20
    fn = token.functions.mint(holder, 9)
    sender = Transactor(w3, owner_key, journal_dir=tmp_path)
    nonce = _nonce(w3, owner_key.address, "pending")
    call = {"to": token.address, "data": fn._encode_transaction_data(), "value": 0}
    tx = sender._prepare(call, "mint")
    signed = owner_key.sign_transaction(dict(tx))
    raw = bytes(signed.raw_transaction)
    entry = {"hash": signed.hash.to_0x_hex(), "nonce": nonce, **_key(call), "raw": "0x" + raw.hex()}
    _Journal(tmp_path, w3.eth.chain_id, owner_key.address).add(entry)

    receipt = Transactor(w3, owner_key, journal_dir=tmp_path).transact(fn, "mint")
    assert receipt["transactionHash"].to_0x_hex() == signed.hash.to_0x_hex()
    assert _nonce(w3, owner_key.address) == nonce + 1
    assert token.functions.balanceOf(holder).call() == 9


def test_an_account_held_by_the_node_sends_through_eth_send_transaction(w3, token, owner_key, tmp_path):
    start = _nonce(w3, owner_key.address)
    node_held = Transactor(w3, owner_key.address, journal_dir=tmp_path)  # Anvil holds its test keys
    receipt = node_held.transact(token.functions.mint(Web3.to_checksum_address("0x" + "7a" * 20), 2), "mint")
    assert receipt["status"] == 1 and _nonce(w3, owner_key.address) == start + 1
    assert w3.eth.get_transaction(receipt["transactionHash"])["type"] == 2
