"""AccessMarket: pricing, paying the owner (approve or permit), the grant it makes, the voucher it reports."""

import brownie
from brownie import ZERO_ADDRESS, accounts, chain
from conftest import DAY, PRICE_PER_DAY, REWARD_BPS, err, register_dataset, transfer_dataset
from eth_account import Account
from eth_account.messages import encode_typed_data

from aitrail.chain import eip712

KEY_REF = b"\x42" * 32


def test_set_price_emits_and_lists(market, datasets, owner):
    dataset_id = register_dataset(datasets, owner)
    tx = market.setPrice(dataset_id, 5 * 10**18, {"from": owner})
    assert tx.events["PriceSet"] == {"datasetId": dataset_id, "owner": owner, "pricePerDay": 5 * 10**18}
    listing = market.listingOf(dataset_id)
    assert (listing["owner"], listing["pricePerDay"]) == (owner.address, 5 * 10**18)
    assert market.quote(dataset_id, 30) == 150 * 10**18


def test_set_price_by_stranger_reverts(market, listed, stranger):
    with brownie.reverts(err("MarketNotDatasetOwner", listed, stranger)):
        market.setPrice(listed, 1, {"from": stranger})


def test_set_price_too_high_reverts(market, listed, owner):
    with brownie.reverts(err("MarketPriceTooHigh", 2**96)):
        market.setPrice(listed, 2**96, {"from": owner})


def test_set_price_unknown_dataset_reverts(market, owner):
    with brownie.reverts(err("DatasetUnknown", 999)):
        market.setPrice(999, 1, {"from": owner})


def test_buy_access_pays_owner_grants_and_issues_voucher(
    market, datasets, rewards, token, listed, owner, researcher, fund
):
    fee = PRICE_PER_DAY * 30
    fund(researcher, fee)
    token.approve(market, fee, {"from": researcher})
    tx = market.buyAccess(listed, 30, KEY_REF, fee, {"from": researcher})
    expires = tx.timestamp + 30 * DAY
    assert tx.return_value == expires
    assert tx.events["AccessPurchased"] == {
        "datasetId": listed,
        "buyer": researcher,
        "owner": owner,
        "days_": 30,
        "fee": fee,
        "expiresAt": expires,
    }
    assert token.balanceOf(owner) == fee
    assert token.balanceOf(researcher) == 0
    assert token.balanceOf(market) == 0
    assert datasets.hasAccess(listed, researcher)
    voucher = fee * REWARD_BPS // 10_000
    assert tx.events["VoucherIssued"] == {
        "datasetId": listed,
        "buyer": researcher,
        "amount": voucher,
        "epoch": 0,
    }
    assert rewards.voucherOf(listed, researcher) == voucher


def test_buy_access_with_permit(market, token, datasets, listed, owner, fund):
    buyer = _local_account()
    accounts[0].transfer(buyer, 10**18)
    fee = PRICE_PER_DAY * 7
    fund(buyer, fee)
    deadline = chain.time() + 3600
    v, r, s = _sign_permit(token, buyer, market.address, fee, deadline)
    tx = market.buyAccessWithPermit(listed, 7, KEY_REF, fee, deadline, v, r, s, {"from": buyer})
    assert tx.events["AccessPurchased"]["fee"] == fee
    assert token.balanceOf(owner) == fee
    assert token.allowance(buyer, market) == 0
    assert datasets.hasAccess(listed, buyer)


def test_buy_access_with_front_run_permit_still_buys(market, token, listed, owner, fund):
    buyer = _local_account()
    accounts[0].transfer(buyer, 10**18)
    fee = PRICE_PER_DAY
    fund(buyer, fee)
    deadline = chain.time() + 3600
    v, r, s = _sign_permit(token, buyer, market.address, fee, deadline)
    token.permit(buyer, market, fee, deadline, v, r, s, {"from": owner})  # someone else submits it first
    tx = market.buyAccessWithPermit(listed, 1, KEY_REF, fee, deadline, v, r, s, {"from": buyer})
    assert tx.events["AccessPurchased"]["buyer"] == buyer


def test_buy_access_without_allowance_reverts(market, token, listed, researcher, fund):
    fund(researcher, PRICE_PER_DAY)
    with brownie.reverts(err("ERC20InsufficientAllowance", market, 0, PRICE_PER_DAY)):
        market.buyAccess(listed, 1, KEY_REF, PRICE_PER_DAY, {"from": researcher})


def test_buy_access_fee_above_max_reverts(market, listed, researcher):
    with brownie.reverts(err("MarketFeeAboveMax", PRICE_PER_DAY * 2, PRICE_PER_DAY)):
        market.buyAccess(listed, 2, KEY_REF, PRICE_PER_DAY, {"from": researcher})


def test_buy_access_zero_days_reverts(market, listed, researcher):
    with brownie.reverts(err("MarketZeroDays")):
        market.buyAccess(listed, 0, KEY_REF, 0, {"from": researcher})


def test_buy_unlisted_or_delisted_reverts(market, datasets, listed, owner, researcher):
    unlisted = register_dataset(datasets, owner)
    with brownie.reverts(err("MarketNotListed", unlisted)):
        market.buyAccess(unlisted, 1, KEY_REF, 10**30, {"from": researcher})
    market.setPrice(listed, 0, {"from": owner})
    with brownie.reverts(err("MarketNotListed", listed)):
        market.quote(listed, 1)


def test_listing_lapses_when_dataset_changes_owner(market, datasets, listed, owner, other, researcher):
    transfer_dataset(datasets, owner, listed, other)
    with brownie.reverts(err("MarketNotListed", listed)):
        market.buyAccess(listed, 1, KEY_REF, 10**30, {"from": researcher})
    tx = market.setPrice(listed, 1, {"from": other})
    assert tx.events["PriceSet"]["owner"] == other
    assert market.quote(listed, 3) == 3


def test_owner_cannot_buy_own_dataset(market, listed, owner):
    with brownie.reverts(err("MarketOwnerCannotBuy", listed, owner)):
        market.buyAccess(listed, 1, KEY_REF, 10**30, {"from": owner})


def test_buy_without_operator_approval_reverts_in_registry(
    market, datasets, token, listed, owner, researcher, fund
):
    datasets.setOperator(market, False, {"from": owner})
    fund(researcher, PRICE_PER_DAY)
    token.approve(market, PRICE_PER_DAY, {"from": researcher})
    with brownie.reverts(err("AccessGrantUnauthorized", listed, market)):
        market.buyAccess(listed, 1, KEY_REF, PRICE_PER_DAY, {"from": researcher})
    assert token.balanceOf(researcher) == PRICE_PER_DAY  # nothing half-done: the fee stayed put


def test_constructor_rejects_zero_addresses(AccessMarket, admin, token, datasets):
    with brownie.reverts(err("MarketZeroAddress")):
        AccessMarket.deploy(ZERO_ADDRESS, datasets, ZERO_ADDRESS, {"from": admin})
    with brownie.reverts(err("MarketZeroAddress")):
        AccessMarket.deploy(token, ZERO_ADDRESS, ZERO_ADDRESS, {"from": admin})


def test_market_without_rewards_issues_no_voucher(
    AccessMarket, admin, token, datasets, listed, owner, researcher, fund
):
    plain = AccessMarket.deploy(token, datasets, ZERO_ADDRESS, {"from": admin})
    datasets.setOperator(plain, True, {"from": owner})
    plain.setPrice(listed, PRICE_PER_DAY, {"from": owner})
    fund(researcher, PRICE_PER_DAY)
    token.approve(plain, PRICE_PER_DAY, {"from": researcher})
    tx = plain.buyAccess(listed, 1, KEY_REF, PRICE_PER_DAY, {"from": researcher})
    assert "VoucherIssued" not in tx.events
    assert token.balanceOf(owner) == PRICE_PER_DAY


def _local_account():
    """An account with its key in memory only, so the test can sign EIP-712 (nothing printed or saved)."""
    return accounts.add(Account.create().key.hex())


def _sign_permit(token, signer, spender, value, deadline):
    nonce = token.nonces(signer)
    data = eip712.permit(
        token.name(), chain.id, token.address, signer.address, spender, value, nonce, deadline
    )
    signed = Account.sign_message(encode_typed_data(full_message=data), signer.private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
