"""grantAccessWithSig: the owner signs (EIP-712), the researcher submits and pays; replay and forgery fail;
unordered nonces let many signed grants be outstanding and each be cancelled alone."""

import brownie
from brownie import chain

from scripts.datasets_support import (
    DAY,
    committed_register,
    dataset_input,
    grant_typed_data,
    h,
    registration_typed_data,
    sign,
)
from tests.contracts.helpers import set_next_timestamp

# Unordered nonces: each signed grant of a test takes a fresh one.
_nonces = iter(range(10**6, 2 * 10**6))


def _signed(
    registry, signer, dataset_id, grantee, duration=0, key_ref=None, nonce=None, deadline=None, **dom
):
    key_ref = h("wrapped") if key_ref is None else key_ref
    nonce = next(_nonces) if nonce is None else nonce
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
    assert registry.grantNonceUsed(owner, args[4]) is True


def test_signed_grant_replayed_on_the_same_chain_is_refused(registry, owner, researcher, dataset_id):
    args = _signed(registry, owner, dataset_id, researcher)
    registry.grantAccessWithSig(*args, {"from": researcher})
    with brownie.reverts(f"AccessSignatureNonceUsed: {owner.address.lower()}, {args[4]}"):
        registry.grantAccessWithSig(*args, {"from": researcher})


def test_signed_grant_for_another_chain_id_is_refused(registry, owner, researcher, dataset_id):
    args = _signed(registry, owner, dataset_id, researcher, chain_id=chain.id + 1)
    with brownie.reverts(f"AccessSignatureInvalid: {owner.address.lower()}"):
        registry.grantAccessWithSig(*args, {"from": researcher})


def test_signed_grant_for_another_contract_is_refused(
    registry, other_registry, owner, researcher, dataset_id
):
    committed_register(other_registry, dataset_input(owner, "base-copy"), [], owner)
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


# ---------------------------------------------------------------- unordered nonces, cancellation (item 5)


def test_several_signed_grants_can_be_outstanding_and_submitted_in_any_order(
    registry, owner, researcher, relayer, operator, dataset_id
):
    signed = [_signed(registry, owner, dataset_id, who) for who in (researcher, relayer, operator)]
    for args, who in reversed(list(zip(signed, (researcher, relayer, operator), strict=True))):
        registry.grantAccessWithSig(*args, {"from": who})
        assert registry.hasAccess(dataset_id, who) is True


def test_a_signed_registration_does_not_invalidate_outstanding_signed_grants(
    registry, owner, researcher, relayer, dataset_id
):
    """Before: both used nonces(owner), so a signed registration killed every outstanding signed grant."""
    grant = _signed(registry, owner, dataset_id, researcher)
    data = dataset_input(owner, "signed-registration")
    deadline = chain.time() + 3600
    nonce = registry.nonces(owner)
    signature = sign(owner, registration_typed_data(registry, data, [], nonce, deadline))
    registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})
    registry.grantAccessWithSig(*grant, {"from": researcher})
    assert registry.hasAccess(dataset_id, researcher) is True


def test_owner_cancels_a_signed_grant_before_it_is_submitted(registry, owner, researcher, dataset_id):
    args = _signed(registry, owner, dataset_id, researcher)
    kept = _signed(registry, owner, dataset_id, researcher, duration=7 * DAY)
    tx = registry.cancelGrantSignature(args[4], {"from": owner})
    assert dict(tx.events["AccessGrantSignatureCancelled"]) == {"owner": owner, "nonce": args[4]}
    assert registry.grantNonceUsed(owner, args[4]) is True
    with brownie.reverts(f"AccessSignatureNonceUsed: {owner.address.lower()}, {args[4]}"):
        registry.grantAccessWithSig(*args, {"from": researcher})
    assert registry.hasAccess(dataset_id, researcher) is False
    registry.grantAccessWithSig(*kept, {"from": researcher})  # cancelling one leaves the others
    assert registry.hasAccess(dataset_id, researcher) is True


def test_a_used_or_cancelled_nonce_cannot_be_cancelled_again(registry, owner, researcher, dataset_id):
    args = _signed(registry, owner, dataset_id, researcher)
    registry.grantAccessWithSig(*args, {"from": researcher})
    with brownie.reverts(f"AccessSignatureNonceUsed: {owner.address.lower()}, {args[4]}"):
        registry.cancelGrantSignature(args[4], {"from": owner})
    registry.cancelGrantSignature(7, {"from": owner})
    with brownie.reverts(f"AccessSignatureNonceUsed: {owner.address.lower()}, 7"):
        registry.cancelGrantSignature(7, {"from": owner})


def test_a_stranger_cancelling_cancels_only_their_own_nonce(registry, owner, researcher, dataset_id):
    """Cancellation is keyed by the caller: nobody can cancel the owner's signed grant but the owner."""
    args = _signed(registry, owner, dataset_id, researcher)
    tx = registry.cancelGrantSignature(args[4], {"from": researcher})
    assert tx.events["AccessGrantSignatureCancelled"]["owner"] == researcher
    assert registry.grantNonceUsed(owner, args[4]) is False
    registry.grantAccessWithSig(*args, {"from": researcher})
    assert registry.hasAccess(dataset_id, researcher) is True


def test_nonces_in_one_bitmap_word_stay_independent(registry, owner, researcher, dataset_id):
    registry.cancelGrantSignature(256 * 5 + 3, {"from": owner})
    assert registry.grantNonceUsed(owner, 256 * 5 + 3) is True
    for other in (256 * 5 + 2, 256 * 5 + 4, 256 * 4 + 3, 256 * 6 + 3, 2**256 - 1):
        assert registry.grantNonceUsed(owner, other) is False
    args = _signed(registry, owner, dataset_id, researcher, nonce=256 * 5 + 4)
    registry.grantAccessWithSig(*args, {"from": researcher})
    assert registry.grantNonceUsed(owner, 256 * 5 + 3) and registry.grantNonceUsed(owner, 256 * 5 + 4)
