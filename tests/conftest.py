import pytest

from scripts import brownie_receipts

# brownie 1.22 sometimes reports a transaction Anvil has mined as dropped: see scripts/brownie_receipts.py.
brownie_receipts.install()

# The longest modules (measured with --durations), run first. Under `make test`'s xdist workers a module
# runs whole on one worker, handed out in collection order: started first, the long ones overlap each
# other and the short ones fill in around them, instead of one of them starting last and running alone.
LONGEST_FIRST = (
    "tests/contracts/test_datasets_stateful.py",
    "tests/fl/test_fl_deployment.py",
    "tests/sdk/test_testnet_rehearsal.py",
    "tests/sdk/test_cli_flows.py",
    "tests/contracts/test_rewards_collusion.py",
)


def pytest_collection_modifyitems(items):
    rank = {module: i for i, module in enumerate(LONGEST_FIRST)}
    # a stable sort: every module keeps its tests together and in file order
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


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


@pytest.fixture(scope="module")
def devchain(tmp_path_factory):
    """A fresh Anvil (chain id 31337, base fee 1 gwei, instant mining) for one test module, started through
    aitrail's own LocalChain on a free port: what the SDK tests and the multi-party tests share."""
    from aitrail.chain.local import LocalChain
    from tests.cli_support import free_port

    chain = LocalChain(tmp_path_factory.mktemp("devchain"), port=free_port())
    chain.ensure()
    yield chain
    chain.stop()
