"""AccessMarket: pricing, paying the owner (approve or permit), the grant it makes, the voucher it reports."""

import brownie
from brownie import ZERO_ADDRESS, accounts, chain
from conftest import (
    DAY,
    PRICE_PER_DAY,
    REWARD_BPS,
    err,
    public_key,
    register_dataset,
    revoke_access,
    transfer_dataset,
)
from eth_account import Account
from eth_account.messages import encode_typed_data

from aitrail.chain import eip712


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
    supply = token.totalSupply()
    tx = market.buyAccess(listed, 30, public_key(researcher), fee, {"from": researcher})
    expires = tx.timestamp + 30 * DAY
    voucher = fee * REWARD_BPS // 10_000
    assert tx.return_value == expires
    assert tx.events["AccessPurchased"] == {
        "datasetId": listed,
        "buyer": researcher,
        "owner": owner,
        "days_": 30,
        "fee": fee,
        "burned": voucher,
        "expiresAt": expires,
        "publicKey": "0x" + public_key(researcher).hex(),
    }
    # The reward share is burned out of the fee (issue 11 item 3): the owner gets the rest now.
    assert token.balanceOf(owner) == fee - voucher
    assert token.totalSupply() == supply - voucher
    assert token.balanceOf(researcher) == 0
    assert token.balanceOf(market) == 0
    assert datasets.hasAccess(listed, researcher)
    # The grant carries no key ref: the owner delivers the key for the published public key.
    assert tx.events["AccessGranted"]["keyRef"] == "0x" + "00" * 32
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
    tx = market.buyAccessWithPermit(listed, 7, public_key(buyer), fee, deadline, v, r, s, {"from": buyer})
    assert tx.events["AccessPurchased"]["fee"] == fee
    assert token.balanceOf(owner) == fee - tx.events["AccessPurchased"]["burned"]
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
    tx = market.buyAccessWithPermit(listed, 1, public_key(buyer), fee, deadline, v, r, s, {"from": buyer})
    assert tx.events["AccessPurchased"]["buyer"] == buyer


def test_buy_access_without_allowance_reverts(market, token, listed, researcher, fund):
    fund(researcher, PRICE_PER_DAY)
    burned = PRICE_PER_DAY * REWARD_BPS // 10_000  # the burn of the reward share comes first
    with brownie.reverts(err("ERC20InsufficientAllowance", market, 0, burned)):
        market.buyAccess(listed, 1, public_key(researcher), PRICE_PER_DAY, {"from": researcher})


def test_buy_access_fee_above_max_reverts(market, listed, researcher):
    with brownie.reverts(err("MarketFeeAboveMax", PRICE_PER_DAY * 2, PRICE_PER_DAY)):
        market.buyAccess(listed, 2, public_key(researcher), PRICE_PER_DAY, {"from": researcher})


def test_buy_access_zero_days_reverts(market, listed, researcher):
    with brownie.reverts(err("MarketZeroDays")):
        market.buyAccess(listed, 0, public_key(researcher), 0, {"from": researcher})


def test_buy_unlisted_or_delisted_reverts(market, datasets, listed, owner, researcher):
    unlisted = register_dataset(datasets, owner)
    with brownie.reverts(err("MarketNotListed", unlisted)):
        market.buyAccess(unlisted, 1, public_key(researcher), 10**30, {"from": researcher})
    market.setPrice(listed, 0, {"from": owner})
    with brownie.reverts(err("MarketNotListed", listed)):
        market.quote(listed, 1)


def test_listing_lapses_when_dataset_changes_owner(market, datasets, listed, owner, other, researcher):
    transfer_dataset(datasets, owner, listed, other)
    with brownie.reverts(err("MarketNotListed", listed)):
        market.buyAccess(listed, 1, public_key(researcher), 10**30, {"from": researcher})
    tx = market.setPrice(listed, 1, {"from": other})
    assert tx.events["PriceSet"]["owner"] == other
    assert market.quote(listed, 3) == 3


def test_owner_cannot_buy_own_dataset(market, listed, owner):
    with brownie.reverts(err("MarketOwnerCannotBuy", listed, owner)):
        market.buyAccess(listed, 1, public_key(owner), 10**30, {"from": owner})


def test_buy_without_operator_approval_reverts_in_registry(
    market, datasets, token, listed, owner, researcher, fund
):
    datasets.setOperator(market, False, {"from": owner})
    fund(researcher, PRICE_PER_DAY)
    token.approve(market, PRICE_PER_DAY, {"from": researcher})
    with brownie.reverts(err("AccessGrantUnauthorized", listed, market)):
        market.buyAccess(listed, 1, public_key(researcher), PRICE_PER_DAY, {"from": researcher})
    assert token.balanceOf(researcher) == PRICE_PER_DAY  # nothing half-done: the fee stayed put


def test_buy_with_a_public_key_not_of_the_buyer_reverts(market, listed, researcher, other):
    """The key must derive to the sender, so a data key is never wrapped for someone off the trail."""
    theirs = public_key(other)
    with brownie.reverts(err("MarketPublicKeyInvalid", researcher, theirs)):
        market.buyAccess(listed, 1, theirs, 10**30, {"from": researcher})
    short = public_key(researcher)[:63]
    with brownie.reverts(err("MarketPublicKeyInvalid", researcher, short)):
        market.buyAccess(listed, 1, short, 10**30, {"from": researcher})


def test_stacked_purchases_cannot_reach_beyond_365_days(market, datasets, token, listed, researcher, fund):
    """Issue 11 item 10: before the fix two 365-day purchases gave 730 days."""
    fund(researcher, PRICE_PER_DAY * 400)
    token.approve(market, PRICE_PER_DAY * 400, {"from": researcher})
    key = public_key(researcher)
    tx = market.buyAccess(listed, 360, key, PRICE_PER_DAY * 360, {"from": researcher})
    assert tx.return_value == tx.timestamp + 360 * DAY
    chain.sleep(DAY)
    chain.mine()
    assert market.MAX_TERM() == 365 * DAY
    # 359 days left + 7 more = 366 days from now: refused, with nothing paid.
    balance = token.balanceOf(researcher)
    with brownie.reverts():  # MarketTermTooLong(expiresAt, now + 365 days): exact now depends on the block
        market.buyAccess(listed, 7, key, PRICE_PER_DAY * 7, {"from": researcher})
    assert token.balanceOf(researcher) == balance
    # Topping up to exactly 365 days from now is fine.
    tx = market.buyAccess(listed, 5, key, PRICE_PER_DAY * 5, {"from": researcher})
    assert tx.return_value <= tx.timestamp + 365 * DAY
    assert datasets.grantExpiry(listed, researcher) == tx.return_value


def test_term_too_long_error_names_the_limit(market, datasets, token, listed, owner, researcher, fund):
    """The decoded error: a direct grant of 365 days, then a purchase of one more day."""
    fund(researcher, PRICE_PER_DAY)
    token.approve(market, PRICE_PER_DAY, {"from": researcher})
    tx = datasets.grantAccess(listed, researcher, 365 * DAY, b"\x00" * 32, {"from": owner})
    expiry = tx.events["AccessGranted"]["expiresAt"]
    try:
        market.buyAccess.call(listed, 1, public_key(researcher), 10**30, {"from": researcher})
        raise AssertionError("the call should revert")
    except brownie.exceptions.VirtualMachineError as exc:
        assert str(exc.revert_msg).startswith(f"MarketTermTooLong: {expiry + DAY}, ")


def test_limit_seller_may_revoke_a_bought_grant_and_keep_the_fee(
    market, datasets, token, listed, owner, researcher, fund
):
    """Documented limit (README "What is enforced where", IAccessMarket): no escrow, no refund."""
    fee = PRICE_PER_DAY * 30
    fund(researcher, fee)
    token.approve(market, fee, {"from": researcher})
    tx = market.buyAccess(listed, 30, public_key(researcher), fee, {"from": researcher})
    paid = fee - tx.events["AccessPurchased"]["burned"]
    revoke_access(datasets, owner, listed, researcher)
    assert not datasets.hasAccess(listed, researcher)
    assert token.balanceOf(owner) == paid
    assert token.balanceOf(researcher) == 0


def test_limit_listing_is_live_again_when_the_dataset_returns_to_its_lister(
    market, datasets, listed, owner, other, researcher
):
    """Documented limit: a listing belongs to (dataset, owner); delist before giving a dataset away."""
    transfer_dataset(datasets, owner, listed, other)
    with brownie.reverts(err("MarketNotListed", listed)):
        market.quote(listed, 1)
    transfer_dataset(datasets, other, listed, owner)
    assert market.quote(listed, 1) == PRICE_PER_DAY
    # The mitigation the README names: delisting first leaves nothing to come back.
    market.setPrice(listed, 0, {"from": owner})
    transfer_dataset(datasets, owner, listed, other)
    transfer_dataset(datasets, other, listed, owner)
    with brownie.reverts(err("MarketNotListed", listed)):
        market.quote(listed, 1)


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
    tx = plain.buyAccess(listed, 1, public_key(researcher), PRICE_PER_DAY, {"from": researcher})
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
