"""Access gateways: only the owner authorises one, only an authorised gateway records, the registry (not
the gateway) decides allowed or denied and why, and every state change emits its event."""

import brownie
import pytest
from brownie import chain

from scripts.datasets_support import account_public_key, h, hx, public_key
from tests.contracts.helpers import bytes_arg, mine_at

KEY_REF = h("wrapped key for the gateway")
NO_GRANT, EXPIRED, WITHDRAWN = 1, 2, 3


@pytest.fixture(scope="module")
def gateway(accounts):
    return accounts[5]


@pytest.fixture
def authorised(registry, owner, gateway, dataset_id):
    registry.setGateway(dataset_id, gateway, KEY_REF, {"from": owner})
    return gateway


def test_gateway_publishes_its_own_key(registry, gateway):
    tx = registry.publishGatewayKey(account_public_key(gateway), {"from": gateway})
    assert dict(tx.events["GatewayKeyPublished"]) == {
        "gateway": gateway,
        "publicKey": hx(account_public_key(gateway)),
    }


def test_a_key_that_is_not_the_senders_is_refused(registry, gateway, researcher):
    other = account_public_key(researcher)
    with brownie.reverts(
        f"AccessPublicKeyNotSender: {researcher.address.lower()}, {gateway.address.lower()}"
    ):
        registry.publishGatewayKey(other, {"from": gateway})
    with brownie.reverts(f"AccessPublicKeyInvalid: {bytes_arg(public_key(1)[:63])}"):
        registry.publishGatewayKey(public_key(1)[:63], {"from": gateway})


def test_owner_authorises_and_removes_a_gateway(registry, owner, gateway, dataset_id):
    tx = registry.setGateway(dataset_id, gateway, KEY_REF, {"from": owner})
    assert dict(tx.events["GatewaySet"]) == {
        "datasetId": dataset_id,
        "gateway": gateway,
        "keyRef": hx(KEY_REF),
    }
    assert registry.isGateway(dataset_id, gateway) is True
    tx = registry.setGateway(dataset_id, gateway, bytes(32), {"from": owner})
    assert dict(tx.events["GatewaySet"]) == {
        "datasetId": dataset_id,
        "gateway": gateway,
        "keyRef": hx(bytes(32)),
    }
    assert registry.isGateway(dataset_id, gateway) is False


@pytest.mark.parametrize("who", ["researcher", "operator", "gateway"])
def test_only_the_owner_sets_a_gateway(registry, owner, researcher, operator, gateway, dataset_id, who):
    registry.setOperator(operator, True, {"from": owner})  # an operator may grant, but not hand out the key
    caller = {"researcher": researcher, "operator": operator, "gateway": gateway}[who]
    with brownie.reverts(f"DatasetNotOwner: {dataset_id}, {caller.address.lower()}"):
        registry.setGateway(dataset_id, gateway, KEY_REF, {"from": caller})


def test_set_gateway_errors(registry, owner, dataset_id):
    with brownie.reverts(f"GatewayZero: {dataset_id}"):
        registry.setGateway(dataset_id, brownie.ZERO_ADDRESS, KEY_REF, {"from": owner})
    with brownie.reverts("DatasetUnknown: 77"):
        registry.setGateway(77, owner, KEY_REF, {"from": owner})
    assert registry.isGateway(77, owner) is False


def test_unauthorised_callers_cannot_record(registry, owner, researcher, gateway, dataset_id):
    for caller in (researcher, owner, gateway):  # not even the owner: the record is the gateway's word
        with brownie.reverts(f"GatewayUnauthorized: {dataset_id}, {caller.address.lower()}"):
            registry.recordGatewayAccess(dataset_id, researcher, {"from": caller})
    with brownie.reverts(f"GatewayUnauthorized: 99, {gateway.address.lower()}"):
        registry.recordGatewayAccess(99, researcher, {"from": gateway})


def test_a_removed_gateway_cannot_record(registry, owner, researcher, authorised, dataset_id):
    registry.setGateway(dataset_id, authorised, bytes(32), {"from": owner})
    with brownie.reverts(f"GatewayUnauthorized: {dataset_id}, {authorised.address.lower()}"):
        registry.recordGatewayAccess(dataset_id, researcher, {"from": authorised})


def test_authorisation_is_per_dataset(registry, owner, researcher, authorised, dataset_id):
    from scripts.datasets_support import committed_register, dataset_input

    second = committed_register(registry, dataset_input(owner, "second"), [], owner).return_value
    with brownie.reverts(f"GatewayUnauthorized: {second}, {authorised.address.lower()}"):
        registry.recordGatewayAccess(second, researcher, {"from": authorised})


def _outcome(tx):
    allowed, reason = tx.return_value
    return bool(allowed), int(reason)


def _recorded(tx):
    return dict(tx.events["GatewayAccessRecorded"])


def test_allowed_and_denied_attempts_are_recorded_with_the_reason(
    registry, owner, researcher, authorised, accounts, dataset_id
):
    stranger = accounts[6]
    tx = registry.recordGatewayAccess(dataset_id, stranger, {"from": authorised})
    assert _outcome(tx) == (False, NO_GRANT)
    assert _recorded(tx) == {
        "datasetId": dataset_id,
        "gateway": authorised,
        "researcher": stranger,
        "allowed": False,
        "reason": NO_GRANT,
    }
    registry.grantAccess(dataset_id, researcher, 3600, bytes(32), {"from": owner})
    tx = registry.recordGatewayAccess(dataset_id, researcher, {"from": authorised})
    assert _outcome(tx) == (True, 0)
    assert _recorded(tx)["allowed"] is True
    assert _outcome(registry.recordGatewayAccess(dataset_id, owner, {"from": authorised})) == (True, 0)


def test_expiry_is_decided_at_the_recording_block(registry, owner, researcher, authorised, dataset_id):
    expires = registry.grantAccess(dataset_id, researcher, 3600, bytes(32), {"from": owner}).return_value
    mine_at(expires - 2)
    assert _outcome(registry.recordGatewayAccess(dataset_id, researcher, {"from": authorised})) == (True, 0)
    chain.sleep(5)
    tx = registry.recordGatewayAccess(dataset_id, researcher, {"from": authorised})
    assert _outcome(tx) == (False, EXPIRED)
    assert _recorded(tx)["reason"] == EXPIRED


def test_revoked_and_withdrawn(registry, owner, researcher, authorised, dataset_id):
    registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": owner})
    registry.revokeAccess(dataset_id, researcher, {"from": owner})
    assert _outcome(registry.recordGatewayAccess(dataset_id, researcher, {"from": authorised})) == (
        False,
        NO_GRANT,
    )
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    tx = registry.recordGatewayAccess(dataset_id, owner, {"from": authorised})
    assert _outcome(tx) == (False, WITHDRAWN)


def test_reason_constants(registry):
    assert (
        registry.REASON_ALLOWED(),
        registry.REASON_NO_GRANT(),
        registry.REASON_EXPIRED(),
        registry.REASON_WITHDRAWN(),
    ) == (0, NO_GRANT, EXPIRED, WITHDRAWN)


def test_a_gateway_cannot_grant(registry, researcher, authorised, dataset_id):
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {authorised.address.lower()}"):
        registry.grantAccess(dataset_id, researcher, 0, bytes(32), {"from": authorised})
    with brownie.reverts(f"AccessGrantUnauthorized: {dataset_id}, {authorised.address.lower()}"):
        registry.revokeAccess(dataset_id, researcher, {"from": authorised})
