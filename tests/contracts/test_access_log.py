"""logAccess: never reverts for a denied caller; the event records who, which dataset and the outcome."""

from scripts.datasets_support import h


def test_granted_attempt_is_logged_as_allowed(registry, owner, researcher, dataset_id):
    registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": owner})
    tx = registry.logAccess(dataset_id, {"from": researcher})
    assert tx.return_value is True
    assert dict(tx.events["AccessLogged"]) == {
        "datasetId": dataset_id,
        "account": researcher,
        "allowed": True,
    }


def test_denied_attempt_is_logged_without_reverting(registry, researcher, dataset_id):
    tx = registry.logAccess(dataset_id, {"from": researcher})
    assert tx.status == 1
    assert tx.return_value is False
    assert dict(tx.events["AccessLogged"]) == {
        "datasetId": dataset_id,
        "account": researcher,
        "allowed": False,
    }


def test_owner_attempt_is_allowed(registry, owner, dataset_id):
    assert registry.logAccess(dataset_id, {"from": owner}).events["AccessLogged"]["allowed"] is True


def test_attempt_on_an_unknown_dataset_is_logged_as_denied(registry, researcher):
    tx = registry.logAccess(404, {"from": researcher})
    assert tx.status == 1
    assert dict(tx.events["AccessLogged"]) == {"datasetId": 404, "account": researcher, "allowed": False}


def test_attempt_after_revocation_is_denied(registry, owner, researcher, dataset_id):
    registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": owner})
    registry.revokeAccess(dataset_id, researcher, {"from": owner})
    assert registry.logAccess(dataset_id, {"from": researcher}).return_value is False


def test_attempt_on_a_withdrawn_dataset_is_denied_even_for_the_owner(registry, owner, dataset_id):
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    assert registry.logAccess(dataset_id, {"from": owner}).return_value is False
