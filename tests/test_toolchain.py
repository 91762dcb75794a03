"""The toolchain works end to end: solc-js compiles OpenZeppelin v5, Anvil runs what it built."""

import brownie
from brownie import RewardToken, web3

CAP = 10**27


def test_contract_compiles_deploys_and_answers_calls(admin):
    token = RewardToken.deploy(admin, CAP, {"from": admin})
    assert token.cap() == CAP
    assert token.symbol() == "TRAIL"
    assert token.totalSupply() == 0


def test_chain_is_anvil(admin):
    assert "anvil" in web3.client_version.lower()


def test_custom_error_is_decoded(admin, stranger):
    token = RewardToken.deploy(admin, CAP, {"from": admin})
    with brownie.reverts():
        token.mint(stranger, 1, {"from": stranger})
