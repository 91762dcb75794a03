"""A coordinator killed (SIGKILL) mid-task re-runs and completes it: nothing committed twice, nothing
diverges. The coordinator is a real process (tests/fl/coordinator_process.py) over the homes of a
federation on a fresh Anvil and the js-ipfs node; it is killed once right after committing round 1's
aggregate and once after every round-2 update is committed but before round 2's aggregate."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from aitrail.fl import audit, demo
from aitrail.fl.recording import fl_client

SCRIPT = Path(__file__).with_name("coordinator_process.py")
RULE = "MultiKrum f=1 keep=4"
ROUNDS = 3
POOL = 900 * demo.TOKEN


@pytest.fixture(scope="module")
def federation_root(tmp_path_factory):
    return tmp_path_factory.mktemp("resume")


@pytest.fixture(scope="module")
def federation(devchain, ipfs_node, federation_root):
    return demo.build_federation(federation_root, devchain.url, "kubo", ipfs_node.api_url)


def coordinator(root, devchain, ipfs_node, task_id, crash=None):
    argv = [sys.executable, str(SCRIPT), str(root), devchain.url, ipfs_node.api_url, str(task_id), RULE,
            str(ROUNDS)]
    return subprocess.run(
        argv + (["--crash", crash] if crash else []), capture_output=True, text=True, timeout=600
    )


def test_a_killed_coordinator_resumes_without_committing_twice(
    federation, federation_root, devchain, ipfs_node
):
    task_id, _ = demo.create_task(federation, RULE, ROUNDS, POOL)
    contract = fl_client(federation.coordinator)

    first = coordinator(federation_root, devchain, ipfs_node, task_id, crash="aggregate-1")
    assert first.returncode == -9, first.stderr
    assert contract.task(task_id)["aggregatedRounds"] == 1

    second = coordinator(federation_root, devchain, ipfs_node, task_id, crash="updates-2")
    assert second.returncode == -9, second.stderr
    assert contract.task(task_id)["aggregatedRounds"] == 1
    assert len(contract.events("UpdateCommitted", taskId=task_id, round=2)) == 5  # on record, not aggregated

    third = coordinator(federation_root, devchain, ipfs_node, task_id)
    assert third.returncode == 0, third.stderr
    assert contract.task(task_id)["aggregatedRounds"] == ROUNDS

    # Exactly one commit per participant per round, one aggregate per round.
    updates = Counter(
        (int(e["args"]["round"]), str(e["args"]["participant"]))
        for e in contract.events("UpdateCommitted", taskId=task_id)
    )
    assert len(updates) == 5 * ROUNDS and set(updates.values()) == {1}
    aggregates = [int(e["args"]["round"]) for e in contract.events("AggregateCommitted", taskId=task_id)]
    assert aggregates == [1, 2, 3]
    for event in contract.events("AggregateCommitted", taskId=task_id):
        assert int(event["args"]["includedMask"]) == 0b01111

    # No divergence: the same model as the uninterrupted federation under plain Flower, bit for bit.
    final = [np.array(a) for a in json.loads(third.stdout.strip().splitlines()[-1])]
    plain = demo.run_plain(federation, RULE, ROUNDS, byzantine=4)
    assert all(np.array_equal(a, b) for a, b in zip(final, plain.final, strict=True))

    report = audit.verify(federation.coordinator, task_id)
    assert report.ok, [r.problems for r in report.round_reports]
    each = POOL // ROUNDS // 4
    earned = [contract.participant(task_id, h.address)["earned"] for h in federation.hospitals]
    assert earned == [ROUNDS * each] * 4 + [0]


def test_a_finished_task_re_runs_as_a_no_op(federation, federation_root, devchain, ipfs_node):
    task_id, _ = demo.create_task(federation, RULE, 1, 0)
    assert coordinator(federation_root, devchain, ipfs_node, task_id).returncode == 0
    blocks = federation.coordinator.w3.eth.block_number
    again = coordinator(federation_root, devchain, ipfs_node, task_id)
    assert again.returncode == 0, again.stderr
    assert federation.coordinator.w3.eth.block_number == blocks  # nothing sent


def test_a_participant_that_lost_its_copy_of_a_committed_update_says_so(federation):
    """The one case a re-run cannot complete alone: the update is on-chain, the party's copy is gone."""
    from aitrail.errors import AitrailError
    from aitrail.fl.recording import RecordingClient, RecordingStrategy

    task_id, _ = demo.create_task(federation, "FedAvg", 1, 0)
    strategy = RecordingStrategy(federation.coordinator, task_id, "FedAvg", federation.store)
    client = RecordingClient(demo.Hospital(federation.splits[0]), federation.hospitals[0], task_id)
    config = strategy.fit_config(1)
    client.fit(demo.initial_weights(), config)
    digest, _ = client.committed[1]
    client.journal(1, digest).unlink()
    with pytest.raises(AitrailError, match=rf"committed update 0x{digest.hex()} and holds no intact copy"):
        client.fit(demo.initial_weights(), config)
