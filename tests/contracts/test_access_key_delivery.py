"""deliverKey: the data key delivered after the grant (market purchases carry none), expiry unchanged."""

import brownie
import pytest
from brownie import chain

from scripts.datasets_support import DAY, h, hx
from tests.contracts.helpers import set_next_timestamp


@pytest.fixture
def bought(registry, owner, researcher, dataset_id):
    """A live grant without a key, as the market makes it; returns its expiry."""
    return registry.grantAccess(dataset_id, researcher, 10 * DAY, bytes(32), {"from": owner}).return_value


def _delivered(tx):
    return dict(tx.events["AccessKeyDelivered"])


def test_owner_delivers_the_key_without_moving_the_expiry(registry, owner, researcher, dataset_id, bought):
    tx = registry.deliverKey(dataset_id, researcher, h("wrapped key"), {"from": owner})
    assert _delivered(tx) == {"datasetId": dataset_id, "grantee": researcher, "keyRef": hx(h("wrapped key"))}
    assert "AccessGranted" not in tx.events
    assert registry.grantExpiry(dataset_id, researcher) == bought
    assert registry.hasAccess(dataset_id, researcher) is True


def test_operator_delivers_the_key(registry, owner, operator, researcher, dataset_id, bought):
    registry.setOperator(operator, True, {"from": owner})
    chain.sleep(9 * DAY)
    chain.mine()
    tx = registry.deliverKey(dataset_id, researcher, h("by operator"), {"from": operator})
    assert _delivered(tx) == {"datasetId": dataset_id, "grantee": researcher, "keyRef": hx(h("by operator"))}
    assert registry.grantExpiry(dataset_id, researcher) == bought


def test_a_stranger_cannot_deliver(registry, researcher, stranger, dataset_id, bought):
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {stranger.address.lower()}"):
        registry.deliverKey(dataset_id, researcher, h("k"), {"from": stranger})


def test_the_grantee_cannot_deliver_to_itself(registry, researcher, dataset_id, bought):
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {researcher.address.lower()}"):
        registry.deliverKey(dataset_id, researcher, h("k"), {"from": researcher})


def test_a_removed_operator_cannot_deliver(registry, owner, operator, researcher, dataset_id, bought):
    registry.setOperator(operator, True, {"from": owner})
    registry.setOperator(operator, False, {"from": owner})
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {operator.address.lower()}"):
        registry.deliverKey(dataset_id, researcher, h("k"), {"from": operator})


def test_no_grant_is_refused(registry, owner, stranger, dataset_id):
    with brownie.reverts(f"AccessGrantUnknown: {dataset_id}, {stranger.address.lower()}"):
        registry.deliverKey(dataset_id, stranger, h("k"), {"from": owner})


def test_a_revoked_grant_is_refused(registry, owner, researcher, dataset_id, bought):
    registry.revokeAccess(dataset_id, researcher, {"from": owner})
    with brownie.reverts(f"AccessGrantUnknown: {dataset_id}, {researcher.address.lower()}"):
        registry.deliverKey(dataset_id, researcher, h("k"), {"from": owner})


@pytest.mark.parametrize("offset", [0, 1, 30 * DAY])
def test_an_expired_grant_is_refused(registry, owner, researcher, dataset_id, bought, offset):
    # Exclusive bound, as for hasAccess: from the expiry second itself the grant has ended.
    set_next_timestamp(bought + offset)
    who = researcher.address.lower()
    with brownie.reverts(f"AccessGrantExpired: {dataset_id}, {who}, {bought}, {bought + offset}"):
        registry.deliverKey(dataset_id, researcher, h("k"), {"from": owner})


def test_the_last_second_of_a_grant_is_accepted(registry, owner, researcher, dataset_id, bought):
    set_next_timestamp(bought - 1)
    tx = registry.deliverKey(dataset_id, researcher, h("k"), {"from": owner})
    assert tx.timestamp == bought - 1
    assert _delivered(tx)["keyRef"] == hx(h("k"))


def test_a_withdrawn_dataset_is_refused(registry, owner, researcher, dataset_id, bought):
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    with brownie.reverts(f"DatasetIsWithdrawn: {dataset_id}"):
        registry.deliverKey(dataset_id, researcher, h("k"), {"from": owner})


def test_an_unknown_dataset_is_refused(registry, owner, researcher):
    with brownie.reverts("DatasetUnknown: 31"):
        registry.deliverKey(31, researcher, h("k"), {"from": owner})
