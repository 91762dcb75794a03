"""`aitrail deploy --find`: a second home rebuilds the address book from the chain, following the wiring."""

import json

import pytest
from web3 import HTTPProvider, Web3

from aitrail import abi
from aitrail.chain.accounts import dev_account
from aitrail.chain.local import LocalChain
from tests.cli_support import cli, free_port


@pytest.fixture
def chain(tmp_path):
    chain = LocalChain(tmp_path / "chain", port=free_port())
    chain.ensure()
    yield chain
    chain.stop()


@pytest.fixture
def in_home(chain, monkeypatch, tmp_path):
    def enter(name):
        monkeypatch.setenv("AITRAIL_HOME", str(tmp_path / name))
        monkeypatch.setenv("AITRAIL_RPC_URL", chain.url)
        monkeypatch.setenv("AITRAIL_NO_PROGRESS", "1")
        monkeypatch.delenv("AITRAIL_ACCOUNT", raising=False)
        return tmp_path / name

    return enter


def test_nothing_deployed_is_one_line_and_writes_no_book(in_home):
    home = in_home("second")
    line = cli("deploy", "--find", ok=False)
    assert line.startswith("the suite (no complete deployment in blocks 0-")
    assert "is not deployed on chain 31337" in line
    assert not (home / "deployments").exists()


def test_find_follows_the_wiring_not_the_newest_contract_of_each_name(in_home, chain):
    in_home("owner")
    deployed = cli("deploy")["addresses"]
    # A stray DatasetRegistry created later (by anyone) is not part of the suite the market points to.
    w3 = Web3(HTTPProvider(chain.url))
    stray = w3.eth.contract(abi=abi.abi("DatasetRegistry"), bytecode=abi.bytecode("DatasetRegistry"))
    tx = stray.constructor(1).transact({"from": dev_account("anvil3").address})  # registration delay 1 s
    assert w3.eth.wait_for_transaction_receipt(tx)["contractAddress"] != deployed["DatasetRegistry"]

    second = in_home("second")
    found = cli("deploy", "--find")
    assert found["addresses"] == deployed
    book = json.loads((second / "deployments" / "31337.json").read_text())
    assert book["chainId"] == "31337"
    assert {k: book[k] for k in deployed} == deployed
    assert cli("dataset", "list") == []  # the found book is usable: the suite answers


def test_find_takes_the_federated_training_the_model_registry_names(in_home, chain):
    """Anyone may deploy another FederatedTraining on the suite's contracts later; only the one the model
    registry was wired to (set once by `deploy`) can publish federated versions, so --find takes that one."""
    in_home("owner")
    first = cli("deploy")
    deployed = first["addresses"]
    assert "ModelRegistry federated training → FederatedTraining" in first["wired"]
    assert cli("deploy")["wired"] == []  # set once: a second run finds the wiring and sends nothing
    w3 = Web3(HTTPProvider(chain.url))
    models = w3.eth.contract(address=deployed["ModelRegistry"], abi=abi.abi("ModelRegistry"))
    assert models.functions.federatedTrainingOf().call() == deployed["FederatedTraining"]
    stray = w3.eth.contract(abi=abi.abi("FederatedTraining"), bytecode=abi.bytecode("FederatedTraining"))
    tx = stray.constructor(
        deployed["DatasetRegistry"], deployed["ModelRegistry"], deployed["RewardToken"]
    ).transact({"from": dev_account("anvil3").address})
    assert w3.eth.wait_for_transaction_receipt(tx)["contractAddress"] != deployed["FederatedTraining"]
    in_home("second")
    assert cli("deploy", "--find")["addresses"] == deployed


def test_find_from_a_block_after_the_deployment_finds_nothing(in_home, chain):
    in_home("owner")
    cli("deploy")
    in_home("second")
    latest = Web3(HTTPProvider(chain.url)).eth.block_number
    line = cli("deploy", "--find", "--from-block", latest + 1, ok=False)
    assert line.startswith(f"the suite (no complete deployment in blocks {latest + 1}-")
