"""The gas floor counts what a transaction really wrote, and never exceeds what it paid."""

from brownie import RewardToken, web3

from bench.floor import FRESH_SLOT, INTRINSIC, calldata_gas, gas_floor


def test_calldata_gas_prices_zero_and_nonzero_bytes():
    assert calldata_gas(b"\x00\x01\x00\xff") == 4 + 16 + 4 + 16


def test_first_mint_writes_two_fresh_slots_and_one_transfer_event(admin, accounts):
    token = RewardToken.deploy(admin, 10**24, {"from": admin})
    token.grantRole(token.MINTER_ROLE(), admin, {"from": admin})

    first = token.mint(accounts[1], 5, {"from": admin})
    floor = gas_floor(web3, first.txid)

    assert floor.fresh_slots == 2  # totalSupply and the receiver's balance
    assert floor.events == 375 + 3 * 375 + 8 * 32  # Transfer(from, to) + 32-byte value
    assert floor.calldata == calldata_gas(bytes.fromhex(first.input[2:]))
    assert floor.total == INTRINSIC + 2 * FRESH_SLOT + floor.calldata + floor.events
    assert floor.total <= first.gas_used


def test_second_mint_to_same_account_writes_no_fresh_slot(admin, accounts):
    token = RewardToken.deploy(admin, 10**24, {"from": admin})
    token.grantRole(token.MINTER_ROLE(), admin, {"from": admin})
    token.mint(accounts[1], 5, {"from": admin})

    again = token.mint(accounts[1], 5, {"from": admin})

    assert gas_floor(web3, again.txid).fresh_slots == 0
