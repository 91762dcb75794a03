"""A claimer that re-enters claim() from inside the mint gets paid once."""

from brownie import TestReentrantClaimer, TestReentrantMintToken, chain, web3
from conftest import EPOCH, REWARD_BPS, model_dataset_input

from scripts.datasets_support import salt_of


def test_reentrant_claim_is_paid_once(Rewards, admin, datasets):
    token = TestReentrantMintToken.deploy({"from": admin})
    rewards = Rewards.deploy(admin, token, datasets, EPOCH, REWARD_BPS, 10**30, {"from": admin})
    for role in (rewards.MARKET_ROLE(), rewards.REGISTRY_ROLE()):
        rewards.grantRole(role, admin, {"from": admin})  # the admin stands in for market and registry
    attacker = TestReentrantClaimer.deploy(rewards, {"from": admin})

    # The attacker contract owns a real dataset in the registry and is credited for a paid citation.
    data = model_dataset_input(attacker)
    commitment = datasets.registrationCommitmentOf(attacker, data[1], salt_of(data))
    attacker.execute(datasets, datasets.commitRegistration.encode_input(commitment), {"from": admin})
    chain.sleep(int(datasets.REGISTRATION_DELAY()))
    attacker.execute(datasets, datasets.register.encode_input(data, [], salt_of(data)), {"from": admin})
    dataset_id = datasets.datasetCount()
    assert datasets.datasetOwner(dataset_id) == attacker
    rewards.recordPurchase(dataset_id, admin, 10**21, {"from": admin})
    rewards.creditCitations(1, admin, [dataset_id], {"from": admin})
    credited = 10**21 * REWARD_BPS // 10_000

    tx = attacker.claim({"from": admin})

    assert attacker.reentered() is True
    assert attacker.reentrySucceeded() is False
    selector = web3.keccak(text="RewardsNothingToClaim(address)")[:4]
    assert bytes(attacker.reentryRevertData()) == selector + bytes(12) + bytes.fromhex(attacker.address[2:])
    assert [e["amount"] for e in tx.events["RewardClaimed"]] == [credited]
    assert token.balanceOf(attacker) == credited
    assert token.totalSupply() == credited
    assert [int(x) for x in rewards.accountOf(attacker)] == [credited, credited]
