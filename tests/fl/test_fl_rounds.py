"""Federated rounds on the trail: Flower's own strategies, one chain, one real IPFS node, a home per party.

The coordinator (Anvil account 0) and five hospitals (accounts 1-5) each have their own AITRAIL_HOME and
share only the chain (a fresh Anvil) and the js-ipfs node. Hospital 5 is Byzantine (a scaled, sign-flipped
update). Faults are injected the way they would happen: a participant that commits one update and uploads
another, a coordinator that commits an aggregate other than its rule's output.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aitrail.errors import ContractRevertError
from aitrail.fl import audit, demo, encoding
from aitrail.fl.recording import RecordingClient, RecordingStrategy, fl_client, seal

AITRAIL = str(Path(sys.executable).with_name("aitrail"))
ROUNDS = 3
POOL = 1_200 * demo.TOKEN
BYZANTINE = 4  # position of hospital 5
ROBUST = "MultiKrum f=1 keep=4"


@pytest.fixture(scope="module")
def federation(devchain, ipfs_node, tmp_path_factory):
    return demo.build_federation(tmp_path_factory.mktemp("fl"), devchain.url, "kubo", ipfs_node.api_url)


@pytest.fixture(scope="module")
def robust(federation):
    return demo.run_task(federation, ROBUST, ROUNDS, byzantine=BYZANTINE, pool=POOL)


def test_poisoned_updates_are_excluded_on_chain_and_the_model_holds(federation, robust):
    fedavg = demo.run_task(federation, "FedAvg", ROUNDS, byzantine=BYZANTINE, pool=0)
    # FedAvg averages the poison in; the robust rule keeps the honest four.
    assert max(fedavg.accuracies) < 0.5
    assert min(robust.accuracies) > 0.9
    contract = fl_client(federation.coordinator)
    events = contract.events("AggregateCommitted", taskId=robust.task_id)
    assert [int(e["args"]["round"]) for e in events] == [1, 2, 3]
    for event in events:
        assert int(event["args"]["committedMask"]) == 0b11111
        assert int(event["args"]["includedMask"]) == 0b01111  # hospital 5 (bit 4) excluded
    assert robust.excluded == [[5], [5], [5]]
    report = audit.verify(federation.coordinator, robust.task_id)
    assert report.ok, [r.problems for r in report.round_reports]
    byzantine = federation.hospitals[BYZANTINE].address
    assert all(r.excluded == [byzantine] for r in report.round_reports)


def test_gas_per_participant_per_round_is_within_the_goal(robust):
    assert len(robust.update_gas) == 5 * ROUNDS
    assert max(robust.update_gas) <= 60_000
    assert max(robust.aggregate_gas) / 5 <= 60_000


def test_rewards_follow_the_formula(federation, robust):
    contract = fl_client(federation.coordinator)
    each = POOL // ROUNDS // 4
    earned = [contract.participant(robust.task_id, h.address)["earned"] for h in federation.hospitals]
    assert earned == [ROUNDS * each] * 4 + [0]
    hospital = federation.hospitals[0]
    before = hospital.suite.token.balance(hospital.address)
    amount, _ = fl_client(hospital).claim(robust.task_id)
    assert amount == ROUNDS * each
    assert hospital.suite.token.balance(hospital.address) == before + amount
    with pytest.raises(ContractRevertError, match="has nothing to claim from federated task"):
        fl_client(federation.hospitals[BYZANTINE]).claim(robust.task_id)
    coordinator = federation.coordinator
    before = coordinator.suite.token.balance(coordinator.address)
    fl_client(coordinator).close(robust.task_id)
    assert coordinator.suite.token.balance(coordinator.address) == before + POOL - 4 * ROUNDS * each


class SwappingClient(RecordingClient):
    """Commits the digest of its real update but uploads a different one (fault injection)."""

    def publish(self, round_, data, public_key):
        header, arrays = encoding.decode(data)
        forged = encoding.encode(header, [a + 1.0 for a in arrays])
        envelope, _ = seal(forged, public_key)
        cid = self.store.add_bytes(envelope)
        fl_client(self.session).commit_update(self.task_id, round_, encoding.digest(data), cid)


def test_a_tampered_update_is_excluded_and_verify_names_it(federation):
    def wrap(client):
        if client.session is federation.hospitals[1]:
            return SwappingClient(client.inner, client.session, client.task_id, client.store)
        return client

    run = demo.run_task(federation, "FedMedian", 1, pool=0, client_wrapper=wrap)
    assert run.excluded == [[2]]
    report = audit.verify(federation.coordinator, run.task_id)
    assert report.ok  # the coordinator excluded it, as it should
    (round_report,) = report.round_reports
    assert round_report.invalid == [
        (federation.hospitals[1].address.lower(), "its bytes do not match the committed digest")
    ]


class NudgingCoordinator(RecordingStrategy):
    """Commits an aggregate that is not its rule's output (fault injection)."""

    def aggregate_updates(self, server_round, pairs):
        output, positions = super().aggregate_updates(server_round, pairs)
        return [a + np.float64(1e-12) for a in output], positions


class IncludingCoordinator(RecordingStrategy):
    """Aggregates with FedAvg's real output but claims hospital 5 was excluded."""

    def aggregate_updates(self, server_round, pairs):
        output, positions = super().aggregate_updates(server_round, pairs)
        return output, positions[:-1]


def test_verify_detects_a_tampered_aggregate(federation):
    run = demo.run_task(federation, "FedAvg", 1, pool=0, strategy_class=NudgingCoordinator)
    report = audit.verify(federation.coordinator, run.task_id)
    assert not report.ok
    (problem,) = report.round_reports[0].problems
    assert "the aggregate digest on-chain is not FedAvg of the committed updates" in problem


def test_verify_detects_a_false_included_set(federation):
    run = demo.run_task(federation, "FedAvg", 1, pool=0, strategy_class=IncludingCoordinator)
    report = audit.verify(federation.coordinator, run.task_id)
    problems = report.round_reports[0].problems
    assert any(
        "FedAvg includes participants [1, 2, 3, 4, 5], the chain records [1, 2, 3, 4]" in p for p in problems
    )


def test_a_participant_without_access_is_refused_on_chain(federation):
    coordinator = federation.coordinator
    swapped = [federation.dataset_ids[1], federation.dataset_ids[0], *federation.dataset_ids[2:]]
    with pytest.raises(ContractRevertError, match="neither owns nor has access to dataset") as caught:
        fl_client(coordinator).create_task(
            federation.model_id, ROBUST, 1, [h.address for h in federation.hospitals], swapped, 0
        )
    assert caught.value.error == "FLDatasetNotAccessible"


def test_a_copied_commit_is_refused_by_the_binding(federation):
    """Hospital 2 copies hospital 1's pending commit (digest and CID): the bytes name hospital 1."""
    task_id, _ = demo.create_task(federation, "Krum f=1", 1, 0)
    first, copier = federation.hospitals[0], federation.hospitals[1]
    strategy = RecordingStrategy(federation.coordinator, task_id, "Krum f=1", federation.store)
    key = bytes.fromhex(strategy.public_key_hex())
    original = RecordingClient(demo.Hospital(federation.splits[0]), first, task_id, federation.store)
    arrays, n, _ = original.inner.fit(demo.initial_weights(), {})
    original.publish(1, original.encode(1, arrays, n), key)
    digest, cid = original.committed[1]
    fl_client(copier).commit_update(task_id, 1, digest, cid)
    from aitrail.fl.recording import committed_updates

    updates = committed_updates(fl_client(copier), task_id, 1)
    copy = next(u for u in updates if u.participant == copier.address.lower())
    strategy._check(copy, 1, arrays)
    assert copy.problem.startswith(f"it is bound to update task {task_id} round 1 of {first.address.lower()}")


def test_a_client_refuses_a_server_key_that_is_not_the_coordinators(federation):
    """The update is encrypted only for the task's on-chain coordinator: an impostor server's key is refused
    before anything is trained, stored or committed."""
    from aitrail.chain.accounts import dev_account
    from aitrail.crypto import public_key_from_private
    from aitrail.errors import AitrailError

    task_id, _ = demo.create_task(federation, "FedAvg", 1, 0)
    client = RecordingClient(demo.Hospital(federation.splits[0]), federation.hospitals[0], task_id)
    impostor = public_key_from_private(bytes(dev_account("anvil9").key)).hex()
    with pytest.raises(AitrailError, match=r"is not task \d+'s coordinator"):
        client.fit(demo.initial_weights(), {"server_round": 1, "aitrail_coordinator_key": impostor})
    assert (
        fl_client(federation.coordinator).participant(task_id, federation.hospitals[0].address)[
            "committedRound"
        ]
        == 0
    )


def test_the_cli_of_an_auditor_home_shows_and_verifies_from_the_chain_and_ipfs(
    federation, devchain, ipfs_node, tmp_path
):
    """`aitrail fl show|verify` as separate processes in a home with no account that found the suite on the
    chain: a good task verifies (exit 0), a tampered one fails with one error line, an unknown id too."""
    good = demo.run_task(federation, "Krum f=1", 1, byzantine=BYZANTINE, pool=0)
    bad = demo.run_task(federation, "FedAvg", 1, pool=0, strategy_class=NudgingCoordinator)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AITRAIL_HOME": str(tmp_path),
        "AITRAIL_RPC_URL": devchain.url,
        "AITRAIL_STORE": "kubo",
        "AITRAIL_IPFS_API": ipfs_node.api_url,
    }

    def aitrail(*args):
        return subprocess.run(
            [AITRAIL, "--json", *map(str, args)], env=env, capture_output=True, text=True, timeout=300
        )

    assert aitrail("deploy", "--find").returncode == 0
    shown = aitrail("fl", "show", good.task_id)
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["rule"] == "Krum f=1" and len(report["round_reports"]) == 1
    assert federation.hospitals[BYZANTINE].address in report["round_reports"][0]["excluded"]
    verified = aitrail("fl", "verify", good.task_id)
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["ok"] is True
    failed = aitrail("fl", "verify", bad.task_id)
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["ok"] is False
    assert failed.stderr.strip() == f"error: task {bad.task_id} does not verify: 1 problem(s), listed above"
    unknown = aitrail("fl", "show", 999)
    assert unknown.returncode != 0
    assert unknown.stderr.strip().splitlines() == ["error: federated task 999 does not exist"]


@pytest.mark.parametrize("rule", ["FedTrimmedAvg beta=0.2", "FedMedian", "Krum f=1"])
def test_each_rule_recomputes_bit_for_bit(federation, rule):
    run = demo.run_task(federation, rule, 1, byzantine=BYZANTINE, pool=0)
    report = audit.verify(federation.coordinator, run.task_id)
    assert report.ok, report.round_reports[0].problems
    # Krum keeps one update; the coordinate-wise rules count every valid update as included.
    expected = 1 if rule.startswith("Krum") else 5
    assert len(report.round_reports[0].included) == expected


def test_unknown_rules_are_refused_before_anything_is_sent():
    from aitrail.fl import rules

    assert str(rules.parse("MultiKrum keep=4 f=1")) == "MultiKrum f=1 keep=4"
    for text, message in [
        ("FedSGD", "unknown aggregation rule"),
        ("Krum g=1", "rule Krum takes f, not 'g=1'"),
        ("MultiKrum f=1", "MultiKrum needs keep=K"),
        ("FedTrimmedAvg beta=x", "is not a number"),
    ]:
        with pytest.raises(rules.RuleError, match=message):
            rules.parse(text)


def test_withdrawn_dataset_stops_further_updates(federation):
    """Last in the module: it withdraws hospital 3's dataset for good."""
    from aitrail import flows

    task_id, _ = demo.create_task(federation, "FedAvg", 2, 0)
    hospital = federation.hospitals[2]
    flows.withdraw_dataset(hospital, federation.dataset_ids[2], "consent withdrawn")
    with pytest.raises(ContractRevertError, match="cannot train on it"):
        fl_client(hospital).commit_update(task_id, 1, b"\x01" * 32, federation.store.add_bytes(b"x"))
