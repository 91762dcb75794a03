"""Withdrawal: the record stays, its status changes, grants stop, no new grants or requests."""

import brownie

from scripts.datasets_support import account_public_key, h, hx


def test_withdraw_marks_the_dataset_and_emits(registry, owner, dataset_id):
    tx = registry.withdrawDataset(dataset_id, h("consent withdrawn"), {"from": owner})
    assert dict(tx.events["DatasetWithdrawn"]) == {
        "datasetId": dataset_id,
        "reason": hx(h("consent withdrawn")),
    }
    assert registry.isWithdrawn(dataset_id) is True
    assert registry.datasetOwner(dataset_id) == owner


def test_withdraw_stops_existing_grants_and_the_owners_own_access(registry, owner, researcher, dataset_id):
    registry.grantAccess(dataset_id, researcher, 0, h("key"), {"from": owner})
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    assert registry.hasAccess(dataset_id, researcher) is False
    assert registry.hasAccess(dataset_id, owner) is False
    assert registry.logAccess(dataset_id, {"from": researcher}).events["AccessLogged"]["allowed"] is False


def test_withdrawn_dataset_takes_no_new_grants(registry, owner, researcher, dataset_id):
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    with brownie.reverts(f"DatasetIsWithdrawn: {dataset_id}"):
        registry.grantAccess(dataset_id, researcher, 0, h("key"), {"from": owner})
    with brownie.reverts(f"DatasetIsWithdrawn: {dataset_id}"):
        registry.grantAccessBatch(dataset_id, [researcher], 0, [h("key")], {"from": owner})


def test_withdrawn_dataset_takes_no_requests(registry, owner, researcher, dataset_id):
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    with brownie.reverts(f"DatasetIsWithdrawn: {dataset_id}"):
        registry.requestAccess(
            dataset_id, h("purpose"), 0, account_public_key(researcher), {"from": researcher}
        )


def test_grants_on_a_withdrawn_dataset_can_still_be_revoked(registry, owner, researcher, dataset_id):
    registry.grantAccess(dataset_id, researcher, 0, h("key"), {"from": owner})
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    registry.revokeAccess(dataset_id, researcher, {"from": owner})
    assert registry.grantExpiry(dataset_id, researcher) == 0


def test_withdrawing_twice_is_refused(registry, owner, dataset_id):
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    with brownie.reverts(f"DatasetIsWithdrawn: {dataset_id}"):
        registry.withdrawDataset(dataset_id, h("again"), {"from": owner})


def test_withdraw_by_a_non_owner_is_refused(registry, researcher, operator, owner, dataset_id):
    registry.setOperator(operator, True, {"from": owner})
    for caller in (researcher, operator):
        with brownie.reverts(f"DatasetNotOwner: {dataset_id}, {caller.address.lower()}"):
            registry.withdrawDataset(dataset_id, h("x"), {"from": caller})


def test_withdraw_of_an_unknown_dataset_is_refused(registry, owner):
    with brownie.reverts("DatasetUnknown: 77"):
        registry.withdrawDataset(77, h("x"), {"from": owner})
