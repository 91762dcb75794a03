"""Versions: a new version links to a predecessor of the same owner; history reads back on-chain;
a version may list the record leaves it drops (consent withdrawal)."""

import brownie

from scripts.datasets_support import committed_register, dataset_input, h, hx


def test_new_version_links_to_its_predecessor(registry, owner, dataset_id):
    tx = committed_register(registry, dataset_input(owner, "v2", predecessor=dataset_id), [], owner)
    assert registry.predecessorOf(tx.return_value) == dataset_id
    assert tx.events["DatasetRegistered"]["predecessor"] == dataset_id


def test_history_walks_back_to_the_first_version(registry, owner, dataset_id):
    v2 = committed_register(
        registry, dataset_input(owner, "v2", predecessor=dataset_id), [], owner
    ).return_value
    committed_register(registry, dataset_input(owner, "unrelated"), [], owner)
    v3 = committed_register(registry, dataset_input(owner, "v3", predecessor=v2), [], owner).return_value
    assert registry.datasetHistory(v3) == [v3, v2, dataset_id]
    assert registry.datasetHistory(dataset_id) == [dataset_id]


def test_history_of_an_unknown_dataset_reverts(registry):
    with brownie.reverts("DatasetUnknown: 9"):
        registry.datasetHistory(9)


def test_version_of_another_owners_dataset_is_refused(registry, owner, researcher, dataset_id):
    with brownie.reverts(
        f"DatasetVersionOwnerMismatch: {dataset_id}, {owner.address.lower()}, {researcher.address.lower()}"
    ):
        committed_register(registry, dataset_input(researcher, "v2", predecessor=dataset_id), [], researcher)


def test_version_of_an_unknown_dataset_is_refused(registry, owner, dataset_id):
    with brownie.reverts("DatasetUnknown: 5"):
        committed_register(registry, dataset_input(owner, "v2", predecessor=5), [], owner)


def test_version_can_follow_a_withdrawn_dataset(registry, owner, dataset_id):
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    v2 = committed_register(
        registry, dataset_input(owner, "v2", predecessor=dataset_id), [], owner
    ).return_value
    assert registry.isWithdrawn(v2) is False
    assert registry.hasAccess(v2, owner) is True


def test_version_lists_the_record_leaves_it_drops(registry, owner, dataset_id):
    leaves = [h("record-3"), h("record-7")]
    tx = committed_register(
        registry, dataset_input(owner, "v2", records=6, predecessor=dataset_id), leaves, owner
    )
    event = tx.events["RecordsWithdrawn"]
    assert event["datasetId"] == tx.return_value
    assert event["predecessor"] == dataset_id
    assert list(event["leaves"]) == [hx(x) for x in leaves]


def test_withdrawn_leaves_without_predecessor_are_refused(registry, owner):
    with brownie.reverts("DatasetRecordsWithoutPredecessor: "):
        committed_register(registry, dataset_input(owner, "v1"), [h("record-1")], owner)


def test_predecessor_of_an_unknown_dataset_reverts(registry):
    with brownie.reverts("DatasetUnknown: 3"):
        registry.predecessorOf(3)
