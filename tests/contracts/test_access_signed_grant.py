"""grantAccessWithSig: the owner signs (EIP-712), the researcher submits and pays; replay and forgery fail."""

import brownie
from brownie import chain

from scripts.datasets_support import DAY, grant_typed_data, h, sign
from tests.contracts.conftest import set_next_timestamp


def _signed(
    registry, signer, dataset_id, grantee, duration=0, key_ref=None, nonce=None, deadline=None, **dom
):
    key_ref = h("wrapped") if key_ref is None else key_ref
    nonce = registry.nonces(registry.datasetOwner(dataset_id)) if nonce is None else nonce
    deadline = chain.time() + 3600 if deadline is None else deadline
    typed = grant_typed_data(registry, dataset_id, grantee, duration, key_ref, nonce, deadline, **dom)
    return (dataset_id, grantee, duration, key_ref, nonce, deadline, sign(signer, typed))


def test_researcher_submits_the_owners_signed_grant(registry, owner, researcher, dataset_id):
    args = _signed(registry, owner, dataset_id, researcher, duration=7 * DAY)
    tx = registry.grantAccessWithSig(*args, {"from": researcher})
    assert tx.return_value == tx.timestamp + 7 * DAY
    event = tx.events["AccessGranted"]
    assert (event["datasetId"], event["grantee"], event["expiresAt"]) == (
        dataset_id,
        researcher,
        tx.return_value,
    )
    assert registry.hasAccess(dataset_id, researcher) is True
    assert registry.nonces(owner) == args[4] + 1


def test_signed_grant_replayed_on_the_same_chain_is_refused(registry, owner, researcher, dataset_id):
    args = _signed(registry, owner, dataset_id, researcher)
    registry.grantAccessWithSig(*args, {"from": researcher})
    with brownie.reverts(f"InvalidAccountNonce: {owner.address.lower()}, {args[4] + 1}"):
        registry.grantAccessWithSig(*args, {"from": researcher})


def test_signed_grant_for_another_chain_id_is_refused(registry, owner, researcher, dataset_id):
    args = _signed(registry, owner, dataset_id, researcher, chain_id=chain.id + 1)
    with brownie.reverts(f"AccessSignatureInvalid: {owner.address.lower()}"):
        registry.grantAccessWithSig(*args, {"from": researcher})


def test_signed_grant_for_another_contract_is_refused(
    registry, other_registry, owner, researcher, dataset_id
):
    from scripts.datasets_support import dataset_input

    other_registry.register(dataset_input(owner, "base-copy"), [], {"from": owner})
    args = _signed(other_registry, owner, dataset_id, researcher)
    with brownie.reverts(f"AccessSignatureInvalid: {owner.address.lower()}"):
        registry.grantAccessWithSig(*args, {"from": researcher})
    other_registry.grantAccessWithSig(*args, {"from": researcher})
    assert other_registry.hasAccess(dataset_id, researcher) is True
    assert registry.hasAccess(dataset_id, researcher) is False


def test_signed_grant_after_its_deadline_is_refused(registry, owner, researcher, dataset_id):
    deadline = chain.time() + 100
    args = _signed(registry, owner, dataset_id, researcher, deadline=deadline)
    set_next_timestamp(deadline + 1)
    with brownie.reverts(f"AccessSignatureExpired: {deadline}, {deadline + 1}"):
        registry.grantAccessWithSig(*args, {"from": researcher})


def test_signed_grant_in_the_deadline_second_is_accepted(registry, owner, researcher, dataset_id):
    deadline = chain.time() + 100
    args = _signed(registry, owner, dataset_id, researcher, deadline=deadline)
    set_next_timestamp(deadline)
    assert registry.grantAccessWithSig(*args, {"from": researcher}).timestamp == deadline


def test_grant_signed_by_someone_other_than_the_owner_is_refused(
    registry, owner, operator, researcher, dataset_id
):
    registry.setOperator(operator, True, {"from": owner})  # operators act by transaction, not by signature
    for signer in (researcher, operator):
        args = _signed(registry, signer, dataset_id, researcher)
        with brownie.reverts(f"AccessSignatureInvalid: {owner.address.lower()}"):
            registry.grantAccessWithSig(*args, {"from": researcher})


def test_signed_grant_with_a_longer_duration_than_signed_is_refused(registry, owner, researcher, dataset_id):
    args = list(_signed(registry, owner, dataset_id, researcher, duration=3600))
    args[2] = 365 * DAY
    with brownie.reverts(f"AccessSignatureInvalid: {owner.address.lower()}"):
        registry.grantAccessWithSig(*args, {"from": researcher})


def test_signed_grant_redirected_to_another_grantee_is_refused(
    registry, owner, researcher, relayer, dataset_id
):
    args = list(_signed(registry, owner, dataset_id, researcher))
    args[1] = relayer
    with brownie.reverts(f"AccessSignatureInvalid: {owner.address.lower()}"):
        registry.grantAccessWithSig(*args, {"from": relayer})


def test_signed_grant_on_a_withdrawn_dataset_is_refused(registry, owner, researcher, dataset_id):
    args = _signed(registry, owner, dataset_id, researcher)
    registry.withdrawDataset(dataset_id, h("faulty"), {"from": owner})
    with brownie.reverts(f"DatasetIsWithdrawn: {dataset_id}"):
        registry.grantAccessWithSig(*args, {"from": researcher})


def test_signed_grant_with_an_out_of_range_duration_is_refused(registry, owner, researcher, dataset_id):
    args = _signed(registry, owner, dataset_id, researcher, duration=60)
    with brownie.reverts(f"AccessDurationOutOfRange: 60, 3600, {365 * DAY}"):
        registry.grantAccessWithSig(*args, {"from": researcher})
