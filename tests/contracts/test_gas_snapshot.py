"""Gas of every suite operation against the committed snapshots (gas/*.json): any increase fails.

Decreases are printed and accepted; `UPDATE_GAS_SNAPSHOT=1 brownie test tests/contracts/test_gas_snapshot.py`
rewrites the snapshots after a deliberate change. The measuring code is scripts/gas_datasets.py and
scripts/gas_models.py (also `brownie run scripts/gas_<name>.py`).
"""

import os

import pytest

from scripts import gas_datasets, gas_fl, gas_models

SUITES = {"datasets": gas_datasets, "models": gas_models, "fl": gas_fl}
_MEASURED: dict = {}


def _measure(name):
    """Each suite is measured once per session: measure() deploys with a fixed deployer nonce."""
    if name not in _MEASURED:
        _MEASURED[name] = SUITES[name].measure()
    return _MEASURED[name]


@pytest.fixture(scope="module", params=sorted(SUITES))
def suite(request):
    return SUITES[request.param].SNAPSHOT, _measure(request.param)


@pytest.fixture(scope="module")
def measured():
    return _measure("datasets")


def test_gas_does_not_increase_over_the_snapshot(suite):
    snapshot, measured = suite
    print("\n" + snapshot.table(measured))
    if os.environ.get("UPDATE_GAS_SNAPSHOT") == "1":
        snapshot.write(measured)
    increases, changes = snapshot.compare(measured)
    for line in changes:
        print(f"changed: {line}")
    assert not increases, "gas increased: " + "; ".join(increases)
    assert set(snapshot.load()) == set(measured), "snapshot and measurement cover different operations"


def test_issue_targets_are_met(suite):
    snapshot, measured = suite
    assert set(snapshot.targets) <= set(measured)
    assert snapshot.over_target(measured) == []


def test_proof_check_grows_with_depth_and_root_anchoring_does_not_grow_with_records(measured):
    assert measured["verifyRecord depth 20"] > measured["verifyRecord depth 10"]
    # the records root costs one slot whatever the record count (1,000 here, 2^10 and 2^20 in the trees)
    assert measured["register with records root"] - measured["register"] < 25_000


def test_anchoring_a_root_costs_the_same_for_10_or_a_million_records(measured):
    rows = [
        measured["register with records root, 10 records"],
        measured["register with records root"],  # 1,000 records
        measured["register with records root, 1,000,000 records"],
    ]
    # only calldata differs (the count's bytes, the seeds' zero bytes: 12 gas per byte): no per-record cost
    assert max(rows) - min(rows) <= 100


def test_a_consent_withdrawal_costs_a_version_plus_one_word_per_withdrawn_leaf(measured):
    one, ten = measured["new version withdrawing 1 record"], measured["new version withdrawing 10 records"]
    per_leaf = (ten - one) / 9
    assert 500 < per_leaf < 1_500  # calldata (32 bytes) + memory + log data per leaf, no storage
    assert one - measured["register with records root"] < 40_000  # the predecessor link and the event
