"""Fixtures for the SDK tests: private Anvil chains started through aitrail's own LocalChain."""

import pytest
from web3 import HTTPProvider, Web3

from aitrail.chain.accounts import dev_account
from tests.cli_support import free_port


@pytest.fixture(scope="session")
def port():
    """A function returning a free TCP port on 127.0.0.1."""
    return free_port


@pytest.fixture(scope="module")
def w3(devchain):
    return Web3(HTTPProvider(devchain.url))


@pytest.fixture(scope="module")
def owner_key():
    return dev_account("anvil0")


@pytest.fixture(scope="module")
def other_key():
    return dev_account("anvil1")
