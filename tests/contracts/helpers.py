"""Test helpers: exact block timestamps on Anvil, brownie's rendering of bytes error arguments."""

from brownie import web3


def set_next_timestamp(timestamp):
    """The next mined block gets exactly this timestamp (Anvil)."""
    web3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def mine_at(timestamp):
    set_next_timestamp(timestamp)
    web3.provider.make_request("evm_mine", [])


def bytes_arg(value):
    """How brownie prints a bytes/bytes32 argument of a decoded custom error."""
    return repr(bytes(value))
