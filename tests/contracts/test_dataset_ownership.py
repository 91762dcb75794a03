"""Two-step ownership transfer: offer, accept, cancel; grants survive; operators follow the owner."""

import brownie
from brownie import ZERO_ADDRESS

from scripts.datasets_support import h


def test_transfer_is_pending_until_accepted(registry, owner, researcher, dataset_id):
    tx = registry.transferDatasetOwnership(dataset_id, researcher, {"from": owner})
    assert dict(tx.events["DatasetOwnershipTransferStarted"]) == {
        "datasetId": dataset_id,
        "from": owner,
        "to": researcher,
    }
    assert registry.pendingDatasetOwner(dataset_id) == researcher
    assert registry.datasetOwner(dataset_id) == owner


def test_accepting_makes_the_caller_the_owner(registry, owner, researcher, dataset_id):
    registry.transferDatasetOwnership(dataset_id, researcher, {"from": owner})
    tx = registry.acceptDatasetOwnership(dataset_id, {"from": researcher})
    assert dict(tx.events["DatasetOwnershipTransferred"]) == {
        "datasetId": dataset_id,
        "from": owner,
        "to": researcher,
    }
    assert registry.datasetOwner(dataset_id) == researcher
    assert registry.pendingDatasetOwner(dataset_id) == ZERO_ADDRESS
    assert registry.hasAccess(dataset_id, owner) is False
    assert registry.hasAccess(dataset_id, researcher) is True


def test_transfer_by_a_non_owner_is_refused(registry, researcher, dataset_id):
    with brownie.reverts(f"DatasetNotOwner: {dataset_id}, {researcher.address.lower()}"):
        registry.transferDatasetOwnership(dataset_id, researcher, {"from": researcher})


def test_transfer_of_an_unknown_dataset_is_refused(registry, owner, researcher):
    with brownie.reverts("DatasetUnknown: 42"):
        registry.transferDatasetOwnership(42, researcher, {"from": owner})


def test_accept_by_someone_else_is_refused(registry, owner, researcher, relayer, dataset_id):
    registry.transferDatasetOwnership(dataset_id, researcher, {"from": owner})
    with brownie.reverts(f"DatasetNotPendingOwner: {dataset_id}, {relayer.address.lower()}"):
        registry.acceptDatasetOwnership(dataset_id, {"from": relayer})


def test_accept_without_a_pending_transfer_is_refused(registry, owner, dataset_id):
    with brownie.reverts(f"DatasetNotPendingOwner: {dataset_id}, {owner.address.lower()}"):
        registry.acceptDatasetOwnership(dataset_id, {"from": owner})


def test_accept_of_an_unknown_dataset_is_refused(registry, researcher):
    with brownie.reverts("DatasetUnknown: 42"):
        registry.acceptDatasetOwnership(42, {"from": researcher})


def test_transfer_to_zero_cancels_the_offer(registry, owner, researcher, dataset_id):
    registry.transferDatasetOwnership(dataset_id, researcher, {"from": owner})
    tx = registry.transferDatasetOwnership(dataset_id, ZERO_ADDRESS, {"from": owner})
    assert tx.events["DatasetOwnershipTransferStarted"]["to"] == ZERO_ADDRESS
    with brownie.reverts(f"DatasetNotPendingOwner: {dataset_id}, {researcher.address.lower()}"):
        registry.acceptDatasetOwnership(dataset_id, {"from": researcher})


def test_grants_survive_a_transfer(registry, owner, researcher, relayer, dataset_id):
    registry.grantAccess(dataset_id, relayer, 0, h("key"), {"from": owner})
    registry.transferDatasetOwnership(dataset_id, researcher, {"from": owner})
    registry.acceptDatasetOwnership(dataset_id, {"from": researcher})
    assert registry.hasAccess(dataset_id, relayer) is True


def test_previous_owners_operator_loses_its_power(registry, owner, researcher, operator, relayer, dataset_id):
    registry.setOperator(operator, True, {"from": owner})
    registry.transferDatasetOwnership(dataset_id, researcher, {"from": owner})
    registry.acceptDatasetOwnership(dataset_id, {"from": researcher})
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {operator.address.lower()}"):
        registry.grantAccess(dataset_id, relayer, 0, h("key"), {"from": operator})
