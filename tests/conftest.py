import pytest

from scripts import brownie_receipts

# brownie 1.22 sometimes reports a transaction Anvil has mined as dropped: see scripts/brownie_receipts.py.
brownie_receipts.install()

# The longest modules, longest first (per-module wall time of a whole `make test`, summed over its tests:
# the stateful tests are minutes each). Under `make test`'s xdist workers a module runs whole on one worker,
# handed out in this order (the Makefile passes --no-loadscope-reorder: xdist would otherwise start the
# modules with the most tests first and leave these few-test, long modules to run last and alone), so the
# long ones overlap each other and the short ones fill in around them. A new module that takes more than
# ~40 s belongs here; the rest keep their collection order after these.
LONGEST_FIRST = (
    "tests/contracts/test_datasets_stateful.py",
    "tests/fl/test_fl_deployment.py",
    "tests/contracts/test_rewards_stateful.py",
    "tests/formats/test_croissant.py",
    "tests/bench/test_bench_orchestrator.py",
    "tests/gateway/test_gateway_e2e.py",
    "tests/contracts/test_federated_stateful.py",
    "tests/fl/test_fl_resume.py",
    "tests/formats/test_model_card.py",
    "tests/fl/test_fl_publish.py",
    "tests/fl/test_fl_bulyan.py",
    "tests/sdk/test_testnet_rehearsal.py",
    "tests/contracts/test_gas_snapshot.py",
    "tests/contracts/test_model_registry.py",
    "tests/contracts/test_access_gateways_stateful.py",
    "tests/sdk/test_bad_input_and_faults.py",
    "tests/sdk/test_brownie_embedded.py",
    "tests/fl/test_fl_rounds.py",
    "tests/storage/test_importer.py",
    "tests/contracts/test_dataset_register.py",
    "tests/sdk/test_scripts_and_demo.py",
    "tests/sdk/test_cli_flows.py",
    "tests/index/test_event_index.py",
    "tests/e2e/test_three_homes.py",
    "tests/sdk/test_local_chain_faults.py",
    "tests/formats/test_sdk.py",
    "tests/index/test_audit_report.py",
    "tests/records/test_records_cli.py",
    "tests/contracts/test_rewards_collusion.py",
    "tests/sdk/test_cli_dataset_hardening.py",
    "tests/sdk/test_cli_reliability.py",
    "tests/contracts/test_access_grant.py",
    "tests/storage/test_kubo_backend.py",
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
