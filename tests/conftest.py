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


@pytest.fixture(scope="session")
def ipfs_node():
    """One real IPFS node (js-ipfs with Kubo's RPC, see aitrail/storage/jsipfs.py) for the whole session:
    its ~4.5 s start is paid once. Not skipped when it cannot start: `make setup` installs it."""
    from aitrail.storage.jsipfs import JsIpfsNode

    node = JsIpfsNode.start()
    yield node
    node.stop()
