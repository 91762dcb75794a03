"""RewardToken: capped, permit, minting only by MINTER_ROLE."""

import brownie
from brownie import ZERO_ADDRESS, chain
from conftest import CAP, err, role_error
from eth_account import Account
from eth_account.messages import encode_typed_data

from aitrail.chain import eip712


def test_metadata_and_cap(token):
    assert (token.name(), token.symbol(), token.decimals(), token.cap()) == (
        "aitrail Reward",
        "TRAIL",
        18,
        CAP,
    )
    assert token.totalSupply() == 0


def test_minter_mints_and_transfer_event_fires(token, admin, treasury, other):
    token.grantRole(token.MINTER_ROLE(), treasury, {"from": admin})
    tx = token.mint(other, 5, {"from": treasury})
    assert tx.events["Transfer"] == {"from": ZERO_ADDRESS, "to": other, "value": 5}
    assert token.balanceOf(other) == 5
    assert token.totalSupply() == 5


def test_mint_by_non_minter_reverts(token, admin, stranger):
    with brownie.reverts(role_error(stranger, token.MINTER_ROLE())):
        token.mint(stranger, 1, {"from": stranger})
    with brownie.reverts(role_error(admin, token.MINTER_ROLE())):
        token.mint(admin, 1, {"from": admin})  # the admin grants the role but does not hold it


def test_mint_past_cap_reverts(token, admin, treasury, other):
    token.grantRole(token.MINTER_ROLE(), treasury, {"from": admin})
    token.mint(other, CAP - 1, {"from": treasury})
    with brownie.reverts(err("ERC20ExceededCap", CAP + 1, CAP)):
        token.mint(other, 2, {"from": treasury})
    token.mint(other, 1, {"from": treasury})
    assert token.totalSupply() == CAP


def test_only_admin_grants_and_revokes_minter(token, admin, stranger, treasury):
    minter = token.MINTER_ROLE()
    with brownie.reverts(role_error(stranger, token.DEFAULT_ADMIN_ROLE())):
        token.grantRole(minter, stranger, {"from": stranger})
    tx = token.grantRole(minter, treasury, {"from": admin})
    assert tx.events["RoleGranted"] == {"role": minter, "account": treasury, "sender": admin}
    tx = token.revokeRole(minter, treasury, {"from": admin})
    assert tx.events["RoleRevoked"] == {"role": minter, "account": treasury, "sender": admin}
    with brownie.reverts(role_error(treasury, minter)):
        token.mint(treasury, 1, {"from": treasury})


def test_permit_sets_allowance(token, other):
    key = Account.create()
    deadline = chain.time() + 3600
    v, r, s = _permit(token, key, other.address, 7, deadline)
    tx = token.permit(key.address, other, 7, deadline, v, r, s, {"from": other})
    assert tx.events["Approval"] == {"owner": key.address, "spender": other, "value": 7}
    assert token.allowance(key.address, other) == 7
    assert token.nonces(key.address) == 1


def test_permit_expired_or_forged_reverts(token, other):
    key = Account.create()
    past = chain[-1].timestamp - 1
    v, r, s = _permit(token, key, other.address, 7, past)
    with brownie.reverts(err("ERC2612ExpiredSignature", past)):
        token.permit(key.address, other, 7, past, v, r, s, {"from": other})
    deadline = chain.time() + 3600
    v, r, s = _permit(token, key, other.address, 7, deadline)
    # The same signature over a different value recovers some other address.
    forged = _typed(token, key.address, other.address, 8, deadline)
    recovered = Account.recover_message(encode_typed_data(full_message=forged), vrs=(v, r, s))
    with brownie.reverts(err("ERC2612InvalidSigner", recovered, key.address)):
        token.permit(key.address, other, 8, deadline, v, r, s, {"from": other})
    assert token.allowance(key.address, other) == 0


def test_supports_access_control_interface(token):
    assert token.supportsInterface("0x7965db0b")  # IAccessControl
    assert not token.supportsInterface("0xffffffff")


def _typed(token, owner, spender, value, deadline):
    nonce = token.nonces(owner)
    return eip712.permit(token.name(), chain.id, token.address, owner, spender, value, nonce, deadline)


def _permit(token, key, spender, value, deadline):
    data = _typed(token, key.address, spender, value, deadline)
    signed = Account.sign_message(encode_typed_data(full_message=data), key.key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def test_holder_burns_and_supply_falls(token, fund, other):
    fund(other, 10)
    supply = token.totalSupply()
    tx = token.burn(4, {"from": other})
    assert tx.events["Transfer"] == {"from": other, "to": ZERO_ADDRESS, "value": 4}
    assert token.balanceOf(other) == 6
    assert token.totalSupply() == supply - 4


def test_burn_from_needs_an_allowance(token, fund, other, stranger):
    fund(other, 10)
    with brownie.reverts(err("ERC20InsufficientAllowance", stranger, 0, 3)):
        token.burnFrom(other, 3, {"from": stranger})
    token.approve(stranger, 3, {"from": other})
    tx = token.burnFrom(other, 3, {"from": stranger})
    assert tx.events["Transfer"] == {"from": other, "to": ZERO_ADDRESS, "value": 3}
    assert token.allowance(other, stranger) == 0
    assert token.balanceOf(other) == 7


def test_limit_admin_can_make_itself_minter_until_it_renounces(token, admin, other):
    """Documented limit (README "What is enforced where"): the admin is trusted until it renounces."""
    minter = token.MINTER_ROLE()
    token.grantRole(minter, admin, {"from": admin})
    token.mint(other, 5, {"from": admin})
    assert token.balanceOf(other) == 5
    token.renounceRole(minter, admin, {"from": admin})
    token.renounceRole(token.DEFAULT_ADMIN_ROLE(), admin, {"from": admin})
    with brownie.reverts(role_error(admin, token.DEFAULT_ADMIN_ROLE())):
        token.grantRole(minter, admin, {"from": admin})
    with brownie.reverts(role_error(admin, minter)):
        token.mint(other, 5, {"from": admin})
