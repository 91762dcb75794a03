"""grantAccess, grantAccessBatch, revokeAccess and operators."""

import brownie
import pytest
from brownie import ZERO_ADDRESS, chain

from scripts.datasets_support import DAY, h, hx

DEFAULT = 30 * DAY


def test_grant_defaults_to_thirty_days_and_emits(registry, owner, researcher, dataset_id):
    tx = registry.grantAccess(dataset_id, researcher, 0, h("wrapped key"), {"from": owner})
    expires = tx.timestamp + DEFAULT
    assert tx.return_value == expires
    assert dict(tx.events["AccessGranted"]) == {
        "datasetId": dataset_id,
        "grantee": researcher,
        "expiresAt": expires,
        "keyRef": hx(h("wrapped key")),
    }
    assert registry.grantExpiry(dataset_id, researcher) == expires
    assert registry.hasAccess(dataset_id, researcher) is True


@pytest.mark.parametrize("duration", [3600, 365 * DAY])
def test_grant_accepts_the_bounds(registry, owner, researcher, dataset_id, duration):
    tx = registry.grantAccess(dataset_id, researcher, duration, bytes(32), {"from": owner})
    assert tx.return_value == tx.timestamp + duration


@pytest.mark.parametrize("duration", [1, 3599, 365 * DAY + 1, 2**64 - 1])
def test_grant_refuses_durations_out_of_range(registry, owner, researcher, dataset_id, duration):
    with brownie.reverts(f"AccessDurationOutOfRange: {duration}, 3600, {365 * DAY}"):
        registry.grantAccess(dataset_id, researcher, duration, bytes(32), {"from": owner})


def test_granting_again_extends_from_the_current_expiry(registry, owner, researcher, dataset_id):
    first = registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": owner}).return_value
    chain.sleep(5 * DAY)
    tx = registry.grantAccess(dataset_id, researcher, 10 * DAY, bytes(32), {"from": owner})
    assert tx.return_value == first + 10 * DAY


def test_granting_after_expiry_counts_from_now(registry, owner, researcher, dataset_id):
    registry.grantAccess(dataset_id, researcher, 3600, bytes(32), {"from": owner})
    chain.sleep(2 * DAY)
    tx = registry.grantAccess(dataset_id, researcher, 3600, bytes(32), {"from": owner})
    assert tx.return_value == tx.timestamp + 3600


def test_grant_to_the_zero_address_is_refused(registry, owner, dataset_id):
    with brownie.reverts(f"AccessGranteeZero: {dataset_id}"):
        registry.grantAccess(dataset_id, ZERO_ADDRESS, 0, bytes(32), {"from": owner})


def test_grant_by_a_stranger_is_refused(registry, researcher, dataset_id):
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {researcher.address.lower()}"):
        registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": researcher})


def test_grant_on_an_unknown_dataset_is_refused(registry, owner, researcher):
    with brownie.reverts("DatasetUnknown: 31"):
        registry.grantAccess(31, researcher, 0, bytes(32), {"from": owner})


# ---------------------------------------------------------------- operators


def test_set_operator_emits_and_reads_back(registry, owner, operator):
    tx = registry.setOperator(operator, True, {"from": owner})
    assert dict(tx.events["OperatorSet"]) == {"owner": owner, "operator": operator, "approved": True}
    assert registry.isOperator(owner, operator) is True
    registry.setOperator(operator, False, {"from": owner})
    assert registry.isOperator(owner, operator) is False


def test_operator_grants_and_revokes_for_the_owner(registry, owner, operator, researcher, dataset_id):
    registry.setOperator(operator, True, {"from": owner})
    registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": operator})
    assert registry.hasAccess(dataset_id, researcher) is True
    registry.revokeAccess(dataset_id, researcher, {"from": operator})
    assert registry.hasAccess(dataset_id, researcher) is False


def test_operator_of_another_owner_is_refused(registry, researcher, operator, relayer, dataset_id):
    registry.setOperator(operator, True, {"from": researcher})
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {operator.address.lower()}"):
        registry.grantAccess(dataset_id, relayer, 0, bytes(32), {"from": operator})


def test_removed_operator_is_refused(registry, owner, operator, researcher, dataset_id):
    registry.setOperator(operator, True, {"from": owner})
    registry.setOperator(operator, False, {"from": owner})
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {operator.address.lower()}"):
        registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": operator})


# ---------------------------------------------------------------- batches


def test_batch_grants_every_grantee_with_its_key_ref(registry, owner, accounts, dataset_id):
    grantees = list(accounts[5:9])
    refs = [h(f"key-{i}") for i in range(4)]
    tx = registry.grantAccessBatch(dataset_id, grantees, 0, refs, {"from": owner})
    expires = tx.timestamp + DEFAULT
    assert list(tx.return_value) == [expires] * 4
    events = tx.events["AccessGranted"]
    assert [(e["grantee"], e["keyRef"], e["expiresAt"]) for e in events] == [
        (g, hx(r), expires) for g, r in zip(grantees, refs, strict=True)
    ]
    assert all(registry.hasAccess(dataset_id, g) for g in grantees)


def test_batch_extends_existing_grants_individually(registry, owner, researcher, relayer, dataset_id):
    first = registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": owner}).return_value
    tx = registry.grantAccessBatch(dataset_id, [researcher, relayer], 3600, [bytes(32)] * 2, {"from": owner})
    assert list(tx.return_value) == [first + 3600, tx.timestamp + 3600]


def test_batch_of_max_size_is_accepted(registry, owner, dataset_id):
    grantees = [f"0x{i + 1:040x}" for i in range(100)]
    tx = registry.grantAccessBatch(dataset_id, grantees, 0, [bytes(32)] * 100, {"from": owner})
    assert len(tx.events["AccessGranted"]) == 100


@pytest.mark.parametrize("size", [0, 101])
def test_batch_size_out_of_range_is_refused(registry, owner, dataset_id, size):
    grantees = [f"0x{i + 1:040x}" for i in range(size)]
    with brownie.reverts(f"AccessBatchSizeInvalid: {size}, 100"):
        registry.grantAccessBatch(dataset_id, grantees, 0, [bytes(32)] * size, {"from": owner})


def test_batch_with_mismatched_key_refs_is_refused(registry, owner, researcher, relayer, dataset_id):
    with brownie.reverts("AccessBatchLengthMismatch: 2, 1"):
        registry.grantAccessBatch(dataset_id, [researcher, relayer], 0, [bytes(32)], {"from": owner})


def test_batch_by_a_stranger_is_refused(registry, researcher, dataset_id):
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {researcher.address.lower()}"):
        registry.grantAccessBatch(dataset_id, [researcher], 0, [bytes(32)], {"from": researcher})


def test_batch_containing_the_zero_address_grants_nobody(registry, owner, researcher, dataset_id):
    with brownie.reverts(f"AccessGranteeZero: {dataset_id}"):
        registry.grantAccessBatch(dataset_id, [researcher, ZERO_ADDRESS], 0, [bytes(32)] * 2, {"from": owner})
    assert registry.hasAccess(dataset_id, researcher) is False


# ---------------------------------------------------------------- revocation


def test_revoke_is_immediate_and_emits(registry, owner, researcher, dataset_id):
    registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": owner})
    tx = registry.revokeAccess(dataset_id, researcher, {"from": owner})
    assert dict(tx.events["AccessRevoked"]) == {"datasetId": dataset_id, "grantee": researcher}
    assert registry.hasAccess(dataset_id, researcher) is False
    assert registry.grantExpiry(dataset_id, researcher) == 0


def test_grant_after_revoke_counts_from_now(registry, owner, researcher, dataset_id):
    registry.grantAccess(dataset_id, researcher, 365 * DAY, bytes(32), {"from": owner})
    registry.revokeAccess(dataset_id, researcher, {"from": owner})
    tx = registry.grantAccess(dataset_id, researcher, 3600, bytes(32), {"from": owner})
    assert tx.return_value == tx.timestamp + 3600


def test_revoke_without_a_grant_is_refused(registry, owner, researcher, dataset_id):
    with brownie.reverts(f"AccessGrantUnknown: {dataset_id}, {researcher.address.lower()}"):
        registry.revokeAccess(dataset_id, researcher, {"from": owner})


def test_revoke_by_a_stranger_is_refused(registry, owner, researcher, relayer, dataset_id):
    registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": owner})
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {relayer.address.lower()}"):
        registry.revokeAccess(dataset_id, researcher, {"from": relayer})
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {researcher.address.lower()}"):
        registry.revokeAccess(dataset_id, researcher, {"from": researcher})


def test_revoke_on_an_unknown_dataset_is_refused(registry, owner, researcher):
    with brownie.reverts("DatasetUnknown: 8"):
        registry.revokeAccess(8, researcher, {"from": owner})
