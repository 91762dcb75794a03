"""Bulyan (Flower's own strategy) on the trail: it needs n >= 4f + 3 participants, so seven hospitals (own
homes, Anvil accounts 1-7) on a fresh Anvil and the js-ipfs node; hospital 7 is Byzantine."""

import pytest

from aitrail.fl import audit, demo, rules
from aitrail.fl.recording import fl_client

ROUNDS = 2
POOL = 700 * demo.TOKEN
BYZANTINE = 6  # position of hospital 7


@pytest.fixture(scope="module")
def federation(devchain, ipfs_node, tmp_path_factory):
    return demo.build_federation(
        tmp_path_factory.mktemp("bulyan"), devchain.url, "kubo", ipfs_node.api_url, hospitals=7
    )


def test_bulyan_excludes_the_byzantine_update_on_chain_and_verifies_bit_for_bit(federation):
    run = demo.run_task(federation, "Bulyan f=1", ROUNDS, byzantine=BYZANTINE, pool=POOL)
    assert min(run.accuracies) > 0.9
    contract = fl_client(federation.coordinator)
    events = contract.events("AggregateCommitted", taskId=run.task_id)
    assert [int(e["args"]["round"]) for e in events] == [1, 2]
    for event in events:
        committed, included = int(event["args"]["committedMask"]), int(event["args"]["includedMask"])
        assert committed == 0b1111111
        assert not included >> BYZANTINE & 1  # hospital 7 excluded
        assert bin(included).count("1") == 7 - 2  # Bulyan keeps θ = n - 2f updates
    report = audit.verify(federation.coordinator, run.task_id)
    assert report.ok, [r.problems for r in report.round_reports]
    byzantine = federation.hospitals[BYZANTINE].address
    assert all(byzantine in r.excluded and len(r.included) == 5 for r in report.round_reports)
    earned = contract.participant(run.task_id, byzantine)["earned"]
    assert earned == 0


def test_verify_catches_a_bulyan_round_that_includes_the_byzantine_update(federation):
    """A coordinator that reports every update as included (what this rule's included set was before
    Bulyan's selection was recomputed) fails verify: the chain's mask is not Bulyan's selection."""
    from aitrail.fl.recording import RecordingStrategy

    class AllIncluded(RecordingStrategy):
        def aggregate_updates(self, server_round, pairs):
            output, _ = super().aggregate_updates(server_round, pairs)
            return output, list(range(len(pairs)))

    run = demo.run_task(federation, "Bulyan f=1", 1, byzantine=BYZANTINE, pool=0, strategy_class=AllIncluded)
    report = audit.verify(federation.coordinator, run.task_id)
    assert not report.ok
    problems = report.round_reports[0].problems
    assert any("Bulyan f=1 includes participants" in p and "[1, 2, 3, 4, 5, 6, 7]" in p for p in problems)


def test_bulyan_refuses_too_few_updates():
    import numpy as np

    rule = rules.parse("Bulyan f=1")
    updates = [([np.zeros(2)], 1)] * 6
    with pytest.raises(rules.AitrailError, match="Bulyan f=1 needs at least 7 updates, got 6"):
        rules.included_positions(rule, updates, [np.zeros(2)])
