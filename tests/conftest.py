import pytest

from scripts import brownie_receipts

# brownie 1.22 sometimes reports a transaction Anvil has mined as dropped: see scripts/brownie_receipts.py.
brownie_receipts.install()


@pytest.fixture(autouse=True)
def isolation(fn_isolation):
    """Every test starts from the same chain state (brownie snapshots and reverts Anvil)."""


@pytest.fixture(scope="module")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def stranger(accounts):
    return accounts[9]
