"""The embedded default chain: started detached, found running, state kept across stop/start."""

import pytest
from web3 import HTTPProvider, Web3

from aitrail.chain.accounts import dev_account
from aitrail.chain.local import LocalChain, rpc_chain_id
from aitrail.errors import AnvilNotFoundError, LocalChainError, WrongChainError


def test_ensure_starts_anvil_with_the_local_chain_id(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    try:
        url = chain.ensure()
        assert rpc_chain_id(url) == 31337
        assert chain.pid() is not None
        assert chain.state_file.parent == tmp_path / "chain"
    finally:
        chain.stop()


def test_second_ensure_finds_the_running_chain_and_starts_nothing(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    try:
        chain.ensure()
        first = chain.pid()
        again = LocalChain(tmp_path, port=chain.port)
        assert again.ensure() == chain.url
        assert again.pid() == first
    finally:
        chain.stop()


def test_state_survives_stop_and_start(tmp_path, port):
    chain = LocalChain(tmp_path, port=port())
    chain.ensure()
    try:
        w3 = Web3(HTTPProvider(chain.url))
        sender = dev_account("anvil0")
        receiver = "0x" + "42" * 20
        signed = sender.sign_transaction(
            {
                "to": Web3.to_checksum_address(receiver),
                "value": 12345,
                "gas": 21000,
                "nonce": 0,
                "maxFeePerGas": 10**10,
                "maxPriorityFeePerGas": 10**9,
                "chainId": 31337,
            }
        )
        tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
        w3.eth.wait_for_transaction_receipt(tx_hash)
        height = w3.eth.block_number
    finally:
        assert chain.stop() is True
    assert chain.pid() is None
    assert rpc_chain_id(chain.url) is None

    chain.ensure()
    try:
        w3 = Web3(HTTPProvider(chain.url))
        assert w3.eth.block_number == height
        assert w3.eth.get_balance(Web3.to_checksum_address(receiver)) == 12345
        assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    finally:
        chain.stop()


def test_stop_without_a_running_chain_says_so(tmp_path, port):
    assert LocalChain(tmp_path, port=port()).stop() is False


def test_a_chain_with_another_id_on_the_port_is_refused(tmp_path, port):
    other = LocalChain(tmp_path / "other", port=port(), chain_id=999)
    other.ensure()
    try:
        with pytest.raises(WrongChainError, match="chain id 999 does not match the local chain"):
            LocalChain(tmp_path / "mine", port=other.port).ensure()
    finally:
        other.stop()


def test_missing_anvil_is_one_clear_error(tmp_path, monkeypatch, port):
    monkeypatch.setenv("AITRAIL_ANVIL", str(tmp_path / "no-such-anvil"))
    with pytest.raises(AnvilNotFoundError, match="no Anvil binary"):
        LocalChain(tmp_path, port=port()).ensure()
    assert not (tmp_path / "chain" / "anvil.pid").exists()


def test_another_homes_chain_on_the_port_is_not_used(tmp_path, port):
    theirs = LocalChain(tmp_path / "theirs", port=port())
    theirs.ensure()
    try:
        with pytest.raises(LocalChainError, match="already serves a chain not started from"):
            LocalChain(tmp_path / "mine", port=theirs.port).ensure()
    finally:
        theirs.stop()


def test_two_commands_starting_at_once_start_one_chain(tmp_path, port):
    import threading

    chosen = port()
    urls, errors = [], []

    def start():
        try:
            urls.append(LocalChain(tmp_path, port=chosen).ensure())
        except Exception as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=start) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    try:
        assert errors == []
        assert urls == [f"http://127.0.0.1:{chosen}"] * 3
    finally:
        LocalChain(tmp_path, port=chosen).stop()
