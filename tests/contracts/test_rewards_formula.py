"""Rewards: paid citations credit dataset owners, bounded per dataset and epoch; pull claims; admin."""

import brownie
from brownie import ZERO_ADDRESS, chain
from conftest import (
    DATASET_EPOCH_CAP,
    EPOCH,
    PRICE_PER_DAY,
    REWARD_BPS,
    buy,
    err,
    grant,
    publish,
    register_dataset,
    role_error,
    transfer_dataset,
)

FEE_30_DAYS = PRICE_PER_DAY * 30
VOUCHER_30_DAYS = FEE_30_DAYS * REWARD_BPS // 10_000


def test_paid_citation_credits_owner(
    models, market, rewards, token, fund, listed, owner, researcher, model_id
):
    buy(market, token, fund, listed, researcher)
    tx = publish(models, model_id, researcher, 1, datasets=[listed])
    assert tx.events["RewardCredited"] == {
        "owner": owner,
        "datasetId": listed,
        "versionId": 1,
        "amount": VOUCHER_30_DAYS,
    }
    assert rewards.voucherOf(listed, researcher) == 0
    assert rewards.claimable(owner) == VOUCHER_30_DAYS
    assert [int(x) for x in rewards.accountOf(owner)] == [VOUCHER_30_DAYS, 0]


def test_one_purchase_backs_one_rewarded_citation(
    models, market, rewards, token, fund, listed, owner, researcher, model_id
):
    buy(market, token, fund, listed, researcher)
    publish(models, model_id, researcher, 1, datasets=[listed])
    tx = publish(models, model_id, researcher, 2, datasets=[listed])  # access still live, voucher spent
    assert "RewardCredited" not in tx.events
    assert rewards.claimable(owner) == VOUCHER_30_DAYS


def test_free_grant_citation_earns_nothing(models, datasets, rewards, owner, researcher, model_id):
    dataset_id = register_dataset(datasets, owner)
    grant(datasets, owner, dataset_id, researcher)
    tx = publish(models, model_id, researcher, 1, datasets=[dataset_id])
    assert "RewardCredited" not in tx.events
    assert rewards.claimable(owner) == 0


def test_self_citation_earns_nothing(models, datasets, rewards, owner):
    models.registerModel("own", {"from": owner})
    dataset_id = register_dataset(datasets, owner)
    for n in range(1, 4):
        tx = publish(models, models.modelCount(), owner, n, datasets=[dataset_id])
        assert "RewardCredited" not in tx.events
    assert rewards.claimable(owner) == 0


def test_voucher_forfeited_when_dataset_passed_to_publisher(
    models, market, datasets, rewards, token, fund, listed, owner, researcher, model_id
):
    buy(market, token, fund, listed, researcher)
    transfer_dataset(datasets, owner, listed, researcher)
    tx = publish(models, model_id, researcher, 1, datasets=[listed])
    assert tx.events["VoucherForfeited"] == {
        "datasetId": listed,
        "publisher": researcher,
        "amount": VOUCHER_30_DAYS,
    }
    assert "RewardCredited" not in tx.events
    assert rewards.claimable(researcher) == 0
    assert rewards.claimable(owner) == 0


def test_epoch_cap_bounds_vouchers_per_dataset(
    market, rewards, token, fund, listed, admin, researcher, other
):
    rewards.setDatasetEpochCap(VOUCHER_30_DAYS + 10**18, {"from": admin})
    buy(market, token, fund, listed, researcher)
    tx = buy(market, token, fund, listed, other)
    assert tx.events["VoucherIssued"]["amount"] == 10**18  # only the room left this epoch
    assert rewards.issuedThisEpoch(listed) == VOUCHER_30_DAYS + 10**18
    tx = buy(market, token, fund, listed, other)
    assert "VoucherIssued" not in tx.events
    chain.sleep(EPOCH)
    chain.mine()
    assert rewards.currentEpoch() == 1
    assert rewards.issuedThisEpoch(listed) == 0
    tx = buy(market, token, fund, listed, other)
    assert tx.events["VoucherIssued"] == {
        "datasetId": listed,
        "buyer": other,
        "amount": VOUCHER_30_DAYS,
        "epoch": 1,
    }
    assert rewards.voucherOf(listed, other) == 10**18 + VOUCHER_30_DAYS


def test_cap_lowered_below_issued_stops_vouchers(
    market, rewards, token, fund, listed, admin, researcher, other
):
    buy(market, token, fund, listed, researcher)
    rewards.setDatasetEpochCap(1, {"from": admin})
    tx = buy(market, token, fund, listed, other)
    assert "VoucherIssued" not in tx.events
    assert rewards.voucherOf(listed, other) == 0


def test_claim_mints_and_marks(models, market, rewards, token, fund, listed, owner, researcher, model_id):
    buy(market, token, fund, listed, researcher)
    publish(models, model_id, researcher, 1, datasets=[listed])
    supply = token.totalSupply()
    tx = rewards.claim({"from": owner})
    assert tx.return_value == VOUCHER_30_DAYS
    assert tx.events["RewardClaimed"] == {"account": owner, "amount": VOUCHER_30_DAYS, "remaining": 0}
    assert tx.events["Transfer"] == {"from": ZERO_ADDRESS, "to": owner, "value": VOUCHER_30_DAYS}
    # Paid fee minus the burned reward share, then the reward: the whole fee, once the citation came.
    assert token.balanceOf(owner) == FEE_30_DAYS
    assert token.totalSupply() == supply + VOUCHER_30_DAYS
    assert [int(x) for x in rewards.accountOf(owner)] == [VOUCHER_30_DAYS, VOUCHER_30_DAYS]
    assert rewards.claimable(owner) == 0
    with brownie.reverts(err("RewardsNothingToClaim", owner)):
        rewards.claim({"from": owner})


def test_claim_with_nothing_credited_reverts(rewards, stranger):
    with brownie.reverts(err("RewardsNothingToClaim", stranger)):
        rewards.claim({"from": stranger})


def test_paused_minting_blocks_claims_not_credits(
    models, market, rewards, token, fund, listed, admin, owner, researcher, model_id
):
    tx = rewards.setMintingPaused(True, {"from": admin})
    assert tx.events["MintingPausedSet"] == {"paused": True}
    assert rewards.mintingPaused() is True
    buy(market, token, fund, listed, researcher)
    publish(models, model_id, researcher, 1, datasets=[listed])
    assert rewards.claimable(owner) == VOUCHER_30_DAYS
    with brownie.reverts(err("RewardsMintingPaused")):
        rewards.claim({"from": owner})
    tx = rewards.setMintingPaused(False, {"from": admin})
    assert tx.events["MintingPausedSet"] == {"paused": False}
    assert rewards.claim({"from": owner}).return_value == VOUCHER_30_DAYS


def test_claim_near_the_token_cap_mints_what_fits_and_keeps_the_rest(
    RewardToken, Rewards, admin, datasets, owner
):
    """Issue 11 item 4: before the fix the claim reverted ERC20ExceededCap and nothing could be claimed."""
    small = RewardToken.deploy(admin, 60, {"from": admin})
    r = Rewards.deploy(admin, small, datasets, EPOCH, REWARD_BPS, DATASET_EPOCH_CAP, {"from": admin})
    small.grantRole(small.MINTER_ROLE(), r, {"from": admin})
    for role in (r.MARKET_ROLE(), r.REGISTRY_ROLE()):
        r.grantRole(role, admin, {"from": admin})  # the admin stands in for market and registry here
    dataset_id = register_dataset(datasets, owner)
    r.recordPurchase(dataset_id, admin, 1000, {"from": admin})  # voucher 100
    r.creditCitations(1, admin, [dataset_id], {"from": admin})
    tx = r.claim({"from": owner})
    assert tx.return_value == 60
    assert tx.events["RewardClaimed"] == {"account": owner, "amount": 60, "remaining": 40}
    assert small.totalSupply() == small.cap() == 60
    assert r.claimable(owner) == 40
    assert [int(x) for x in r.accountOf(owner)] == [100, 60]
    with brownie.reverts(err("RewardsCapReached", owner, 40)):
        r.claim({"from": owner})
    # Burns (the market's reward share of later fees) make room again.
    small.burn(25, {"from": owner})
    tx = r.claim({"from": owner})
    assert tx.events["RewardClaimed"] == {"account": owner, "amount": 25, "remaining": 15}
    assert r.claimable(owner) == 15


def test_set_reward_rate(rewards, admin):
    tx = rewards.setRewardRate(2_500, {"from": admin})
    assert tx.events["RewardRateSet"] == {"previousBps": REWARD_BPS, "newBps": 2_500}
    assert rewards.rewardBps() == 2_500
    with brownie.reverts(err("RewardsRateTooHigh", 10_001, 10_000)):
        rewards.setRewardRate(10_001, {"from": admin})


def test_set_dataset_epoch_cap(rewards, admin):
    tx = rewards.setDatasetEpochCap(7, {"from": admin})
    assert tx.events["DatasetEpochCapSet"] == {"previousCap": DATASET_EPOCH_CAP, "newCap": 7}
    assert rewards.datasetEpochCap() == 7


def test_privileged_functions_refuse_strangers(rewards, stranger):
    admin_role = rewards.DEFAULT_ADMIN_ROLE()
    with brownie.reverts(role_error(stranger, admin_role)):
        rewards.setRewardRate(1, {"from": stranger})
    with brownie.reverts(role_error(stranger, admin_role)):
        rewards.setDatasetEpochCap(1, {"from": stranger})
    with brownie.reverts(role_error(stranger, rewards.PAUSER_ROLE())):
        rewards.setMintingPaused(True, {"from": stranger})
    with brownie.reverts(role_error(stranger, rewards.MARKET_ROLE())):
        rewards.recordPurchase(1, stranger, 10**18, {"from": stranger})
    with brownie.reverts(role_error(stranger, rewards.REGISTRY_ROLE())):
        rewards.creditCitations(1, stranger, [1], {"from": stranger})
    with brownie.reverts(role_error(stranger, admin_role)):
        rewards.grantRole(rewards.MARKET_ROLE(), stranger, {"from": stranger})


def test_constructor_validates(Rewards, admin, token, datasets):
    with brownie.reverts(err("RewardsZeroAddress")):
        Rewards.deploy(ZERO_ADDRESS, token, datasets, EPOCH, 1, 1, {"from": admin})
    with brownie.reverts(err("RewardsZeroAddress")):
        Rewards.deploy(admin, ZERO_ADDRESS, datasets, EPOCH, 1, 1, {"from": admin})
    with brownie.reverts(err("RewardsZeroAddress")):
        Rewards.deploy(admin, token, ZERO_ADDRESS, EPOCH, 1, 1, {"from": admin})
    with brownie.reverts(err("RewardsZeroEpochLength")):
        Rewards.deploy(admin, token, datasets, 0, 1, 1, {"from": admin})
    with brownie.reverts(err("RewardsRateTooHigh", 10_001, 10_000)):
        Rewards.deploy(admin, token, datasets, EPOCH, 10_001, 1, {"from": admin})


def test_new_rate_applies_to_later_purchases(market, rewards, token, fund, listed, admin, researcher):
    rewards.setRewardRate(5_000, {"from": admin})
    tx = buy(market, token, fund, listed, researcher, days=2)
    assert tx.events["VoucherIssued"]["amount"] == PRICE_PER_DAY * 2 // 2
    rewards.setRewardRate(0, {"from": admin})
    tx = buy(market, token, fund, listed, researcher, days=2)
    assert "VoucherIssued" not in tx.events
    assert rewards.voucherOf(listed, researcher) == PRICE_PER_DAY


def test_limit_admin_can_forge_vouchers_until_it_renounces(rewards, admin, datasets, owner):
    """Documented limit (IRewards "Trust", README): the admin can grant itself MARKET_ROLE and forge a
    voucher; a deployment that renounces DEFAULT_ADMIN_ROLE after wiring closes that door."""
    market_role = rewards.MARKET_ROLE()
    dataset_id = register_dataset(datasets, owner)
    rewards.grantRole(market_role, admin, {"from": admin})
    tx = rewards.recordPurchase(dataset_id, admin, 10**21, {"from": admin})
    assert tx.events["VoucherIssued"]["amount"] == 10**20
    rewards.revokeRole(market_role, admin, {"from": admin})
    rewards.renounceRole(rewards.DEFAULT_ADMIN_ROLE(), admin, {"from": admin})
    with brownie.reverts(role_error(admin, rewards.DEFAULT_ADMIN_ROLE())):
        rewards.grantRole(market_role, admin, {"from": admin})
    with brownie.reverts(role_error(admin, market_role)):
        rewards.recordPurchase(dataset_id, admin, 10**21, {"from": admin})
