"""register and registerWithSig: commit-reveal against mempool squatting, stored state, the event, every
validation error, EIP-712 replay."""

import brownie
import pytest
from brownie import ZERO_ADDRESS, DatasetRegistry, chain, web3
from eth_abi import encode as abi_encode

from scripts.datasets_support import (
    REGISTRATION_DELAY,
    commit,
    committed_register,
    dataset_input,
    h,
    hx,
    registration_typed_data,
    salt_of,
    sign,
)
from tests.contracts.helpers import bytes_arg, set_next_timestamp

DEADLINE_IN = 3600


def _signed(registry, owner, dataset, withdrawn=(), nonce=None, deadline=None, **domain):
    nonce = registry.nonces(owner) if nonce is None else nonce
    deadline = chain.time() + DEADLINE_IN if deadline is None else deadline
    typed = registration_typed_data(registry, dataset, list(withdrawn), nonce, deadline, **domain)
    return nonce, deadline, sign(owner, typed)


def test_first_dataset_gets_id_one_and_count_follows(registry, owner):
    assert registry.datasetCount() == 0
    tx = committed_register(registry, dataset_input(owner, "a"), [], owner)
    assert tx.return_value == 1
    assert committed_register(registry, dataset_input(owner, "b"), [], owner).return_value == 2
    assert registry.datasetCount() == 2


def test_register_stores_owner_status_records_and_content_hash(registry, owner):
    data = dataset_input(owner, "a", records=1000)
    committed_register(registry, data, [], owner)
    assert registry.datasetOwner(1) == owner
    assert registry.isWithdrawn(1) is False
    root, count = registry.recordsRoot(1)
    assert (root, count) == (hx(data[6]), 1000)
    assert registry.datasetIdOf(data[1]) == 1
    assert registry.predecessorOf(1) == 0
    assert registry.pendingDatasetOwner(1) == ZERO_ADDRESS


def test_dataset_without_records_has_zero_root_and_count(registry, owner):
    committed_register(registry, dataset_input(owner, "a"), [], owner)
    root, count = registry.recordsRoot(1)
    assert (root, count) == (hx(bytes(32)), 0)


def test_registered_event_carries_everything_to_rebuild_the_dataset(registry, owner):
    data = dataset_input(owner, "a", records=5, cid_kind=2, metadata_kind=0)
    tx = committed_register(registry, data, [], owner)
    event = tx.events["DatasetRegistered"]
    assert dict(event) == {
        "datasetId": 1,
        "owner": owner,
        "contentHash": "0x" + data[1].hex(),
        "cidDigest": "0x" + data[2].hex(),
        "cidKind": 2,
        "metadataDigest": "0x" + data[4].hex(),
        "metadataKind": 0,
        "recordsRoot": "0x" + data[6].hex(),
        "recordsCount": 5,
        "predecessor": 0,
        "registeredAt": tx.timestamp,
    }
    assert "RecordsWithdrawn" not in tx.events


def test_register_for_another_owner_is_refused(registry, owner, researcher):
    with brownie.reverts(
        f"DatasetRegistrationUnauthorized: {owner.address.lower()}, {researcher.address.lower()}"
    ):
        committed_register(registry, dataset_input(owner, "a"), [], researcher)


def test_copied_register_transaction_from_another_sender_reverts(registry, owner, researcher):
    data = dataset_input(owner, "a")
    # the owner's transaction is built but never sent; a bot copies its calldata
    tx_input = registry.register.encode_input(data, [], salt_of(data))
    with brownie.reverts(
        f"DatasetRegistrationUnauthorized: {owner.address.lower()}, {researcher.address.lower()}"
    ):
        researcher.transfer(registry.address, 0, data=tx_input)
    assert registry.datasetCount() == 0


# ---------------------------------------------------------------- commit-reveal (issue 11, Medium 1)


def _commitment(registry, dataset, salt=None):
    return registry.registrationCommitmentOf(dataset[0], dataset[1], salt or salt_of(dataset))


def test_front_runner_copying_the_reveal_with_owner_swapped_does_not_take_the_dataset(
    registry, owner, researcher
):
    """The squat of issue 11: the owner's pending register is copied with only `owner` swapped."""
    data = dataset_input(owner, "victim")
    commit(registry, data, owner)
    chain.sleep(REGISTRATION_DELAY)
    squat = (researcher.address, *data[1:])
    with brownie.reverts(
        f"DatasetCommitmentUnknown: {bytes_arg(_commitment(registry, squat, salt_of(data)))}"
    ):
        registry.register(squat, [], salt_of(data), {"from": researcher})
    tx = registry.register(data, [], salt_of(data), {"from": owner})
    assert registry.datasetOwner(tx.return_value) == owner
    assert registry.datasetIdOf(data[1]) == tx.return_value


def test_front_runner_of_a_signed_registration_cannot_register_it_first(registry, owner, relayer, researcher):
    data = dataset_input(owner, "signed-victim")
    nonce, deadline, signature = _signed(registry, owner, data)
    squat = (researcher.address, *data[1:])
    with brownie.reverts(f"DatasetCommitmentUnknown: {bytes_arg(_commitment(registry, squat, h('any')))}"):
        registry.register(squat, [], h("any"), {"from": researcher})
    registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})
    assert registry.datasetOwner(1) == owner


def test_front_runner_who_commits_on_seeing_the_reveal_is_too_late(registry, owner, researcher):
    data = dataset_input(owner, "victim")
    commit(registry, data, owner)
    chain.sleep(REGISTRATION_DELAY)
    squat = (researcher.address, *data[1:])
    tx = commit(registry, squat, researcher)  # seen in the mempool, committed at once
    ready = tx.timestamp + REGISTRATION_DELAY
    set_next_timestamp(tx.timestamp + 1)
    too_recent = (
        f"DatasetCommitmentTooRecent: {bytes_arg(_commitment(registry, squat))}, {ready}, {tx.timestamp + 1}"
    )
    with brownie.reverts(too_recent):
        registry.register(squat, [], salt_of(squat), {"from": researcher})
    registry.register(data, [], salt_of(data), {"from": owner})
    chain.sleep(REGISTRATION_DELAY)
    with brownie.reverts(f"DatasetContentHashTaken: {bytes_arg(data[1])}, 1"):
        registry.register(squat, [], salt_of(squat), {"from": researcher})


def test_register_without_a_commitment_is_refused(registry, owner):
    data = dataset_input(owner, "a")
    with brownie.reverts(f"DatasetCommitmentUnknown: {bytes_arg(_commitment(registry, data))}"):
        registry.register(data, [], salt_of(data), {"from": owner})


def test_register_with_another_salt_is_refused(registry, owner):
    data = dataset_input(owner, "a")
    commit(registry, data, owner)
    chain.sleep(REGISTRATION_DELAY)
    with brownie.reverts(f"DatasetCommitmentUnknown: {bytes_arg(_commitment(registry, data, h('other')))}"):
        registry.register(data, [], h("other"), {"from": owner})


def test_register_before_the_delay_is_refused_and_at_the_delay_accepted(registry, owner):
    data = dataset_input(owner, "a")
    committed_at = commit(registry, data, owner).timestamp
    ready = committed_at + REGISTRATION_DELAY
    set_next_timestamp(ready - 1)
    with brownie.reverts(
        f"DatasetCommitmentTooRecent: {bytes_arg(_commitment(registry, data))}, {ready}, {ready - 1}"
    ):
        registry.register(data, [], salt_of(data), {"from": owner})
    set_next_timestamp(ready)
    tx = registry.register(data, [], salt_of(data), {"from": owner})
    assert tx.timestamp == ready and tx.return_value == 1


def test_commit_is_recorded_with_its_event_and_used_up_by_register(registry, owner, researcher):
    data = dataset_input(owner, "a")
    commitment = _commitment(registry, data)
    assert commitment == hx(
        web3.keccak(abi_encode(["address", "bytes32", "bytes32"], [owner.address, data[1], salt_of(data)]))
    )
    tx = commit(registry, data, researcher)  # anyone may commit: it only helps the owner it names
    assert dict(tx.events["RegistrationCommitted"]) == {"commitment": commitment, "committedAt": tx.timestamp}
    assert registry.registrationCommitment(commitment) == tx.timestamp
    chain.sleep(REGISTRATION_DELAY)
    registry.register(data, [], salt_of(data), {"from": owner})
    assert registry.registrationCommitment(commitment) == 0


def test_a_recorded_commitment_is_never_reset(registry, owner, researcher):
    """A copied commit transaction must not restart the owner's delay."""
    data = dataset_input(owner, "a")
    first = commit(registry, data, owner).timestamp
    chain.sleep(REGISTRATION_DELAY // 2)
    with brownie.reverts(f"DatasetCommitmentExists: {bytes_arg(_commitment(registry, data))}, {first}"):
        commit(registry, data, researcher)
    assert registry.registrationCommitment(_commitment(registry, data)) == first


def test_a_zero_registration_delay_is_refused(admin):
    with brownie.reverts("DatasetRegistrationDelayZero: "):
        DatasetRegistry.deploy(0, {"from": admin})
    assert DatasetRegistry.deploy(1, {"from": admin}).REGISTRATION_DELAY() == 1


def test_zero_content_hash_is_refused(registry, owner):
    data = list(dataset_input(owner, "a"))
    data[1] = bytes(32)
    with brownie.reverts("DatasetContentHashZero: "):
        committed_register(registry, data, [], owner)


def test_content_hash_can_be_registered_only_once(registry, owner, researcher):
    committed_register(registry, dataset_input(owner, "a"), [], owner)
    again = list(dataset_input(researcher, "b"))
    again[1] = dataset_input(owner, "a")[1]
    with brownie.reverts(f"DatasetContentHashTaken: {bytes_arg(again[1])}, 1"):
        committed_register(registry, again, [], researcher)


@pytest.mark.parametrize("field, kind_field", [(2, 3), (4, 5)])
def test_zero_cid_digest_is_refused(registry, owner, field, kind_field):
    data = list(dataset_input(owner, "a"))
    data[field] = bytes(32)
    with brownie.reverts(f"DatasetCidInvalid: {bytes_arg(bytes(32))}, {data[kind_field]}"):
        committed_register(registry, data, [], owner)


@pytest.mark.parametrize("field, kind_field", [(2, 3), (4, 5)])
def test_unknown_cid_kind_is_refused(registry, owner, field, kind_field):
    data = list(dataset_input(owner, "a"))
    data[kind_field] = 3
    with brownie.reverts(f"DatasetCidInvalid: {bytes_arg(data[field])}, 3"):
        committed_register(registry, data, [], owner)


def test_records_root_without_count_is_refused(registry, owner):
    data = list(dataset_input(owner, "a", records=4))
    data[7] = 0
    with brownie.reverts(f"DatasetRecordsInconsistent: {bytes_arg(data[6])}, 0"):
        committed_register(registry, data, [], owner)


def test_records_count_without_root_is_refused(registry, owner):
    data = list(dataset_input(owner, "a"))
    data[7] = 4
    with brownie.reverts(f"DatasetRecordsInconsistent: {bytes_arg(bytes(32))}, 4"):
        committed_register(registry, data, [], owner)


# ---------------------------------------------------------------- registerWithSig


def test_signed_registration_submitted_by_a_relayer_belongs_to_the_signer(registry, owner, relayer):
    data = dataset_input(owner, "a")
    nonce, deadline, signature = _signed(registry, owner, data)
    tx = registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})
    assert tx.return_value == 1
    assert registry.datasetOwner(1) == owner
    assert tx.events["DatasetRegistered"]["owner"] == owner
    assert registry.nonces(owner) == nonce + 1


def test_copied_signed_registration_still_registers_for_the_real_owner(registry, owner, relayer, researcher):
    """A front-runner resending the owner's signed transaction from its own account gains nothing."""
    data = dataset_input(owner, "a")
    nonce, deadline, signature = _signed(registry, owner, data)
    registry.registerWithSig(data, [], nonce, deadline, signature, {"from": researcher})
    assert registry.datasetOwner(1) == owner
    with brownie.reverts(f"InvalidAccountNonce: {owner.address.lower()}, {nonce + 1}"):
        registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})


def test_signed_registration_replayed_on_the_same_chain_is_refused(registry, owner, relayer):
    data = dataset_input(owner, "a")
    nonce, deadline, signature = _signed(registry, owner, data)
    registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})
    with brownie.reverts(f"InvalidAccountNonce: {owner.address.lower()}, {nonce + 1}"):
        registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})


def test_signed_registration_for_another_chain_id_is_refused(registry, owner, relayer):
    data = dataset_input(owner, "a")
    nonce, deadline, signature = _signed(registry, owner, data, chain_id=chain.id + 1)
    with brownie.reverts(f"DatasetSignatureInvalid: {owner.address.lower()}"):
        registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})


def test_signed_registration_for_another_contract_is_refused(registry, other_registry, owner, relayer):
    data = dataset_input(owner, "a")
    nonce, deadline, signature = _signed(other_registry, owner, data)
    with brownie.reverts(f"DatasetSignatureInvalid: {owner.address.lower()}"):
        registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})
    # and the same signature is good where it belongs
    other_registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})
    assert other_registry.datasetOwner(1) == owner


def test_signed_registration_by_the_wrong_signer_is_refused(registry, owner, researcher, relayer):
    data = dataset_input(owner, "a")
    nonce, deadline, signature = _signed(registry, owner, data)
    forged = sign(researcher, registration_typed_data(registry, data, [], nonce, deadline))
    assert forged != signature
    with brownie.reverts(f"DatasetSignatureInvalid: {owner.address.lower()}"):
        registry.registerWithSig(data, [], nonce, deadline, forged, {"from": researcher})


def test_signed_registration_with_an_altered_field_is_refused(registry, owner, relayer):
    data = dataset_input(owner, "a")
    nonce, deadline, signature = _signed(registry, owner, data)
    altered = list(data)
    altered[2] = h("attacker's cid")
    with brownie.reverts(f"DatasetSignatureInvalid: {owner.address.lower()}"):
        registry.registerWithSig(altered, [], nonce, deadline, signature, {"from": relayer})


def test_signed_registration_after_its_deadline_is_refused(registry, owner, relayer):
    data = dataset_input(owner, "a")
    deadline = chain.time() + 100
    nonce, deadline, signature = _signed(registry, owner, data, deadline=deadline)
    set_next_timestamp(deadline + 1)
    with brownie.reverts(f"DatasetSignatureExpired: {deadline}, {deadline + 1}"):
        registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})


def test_signed_registration_in_the_deadline_second_is_accepted(registry, owner, relayer):
    data = dataset_input(owner, "a")
    deadline = chain.time() + 100
    nonce, deadline, signature = _signed(registry, owner, data, deadline=deadline)
    set_next_timestamp(deadline)
    tx = registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})
    assert tx.timestamp == deadline
    assert registry.datasetOwner(1) == owner


def test_signed_registration_with_a_future_nonce_is_refused(registry, owner, relayer):
    data = dataset_input(owner, "a")
    nonce, deadline, signature = _signed(registry, owner, data, nonce=5)
    with brownie.reverts(f"InvalidAccountNonce: {owner.address.lower()}, 0"):
        registry.registerWithSig(data, [], nonce, deadline, signature, {"from": relayer})


def test_signed_new_version_with_withdrawn_leaves_registers(registry, owner, relayer, dataset_id):
    data = dataset_input(owner, "v2", records=7, predecessor=dataset_id)
    leaves = [h("record-1"), h("record-2")]
    nonce, deadline, signature = _signed(registry, owner, data, withdrawn=leaves)
    tx = registry.registerWithSig(data, leaves, nonce, deadline, signature, {"from": relayer})
    assert registry.predecessorOf(tx.return_value) == dataset_id
    assert list(tx.events["RecordsWithdrawn"]["leaves"]) == [hx(x) for x in leaves]


def test_signed_version_with_an_altered_withdrawn_list_is_refused(registry, owner, relayer, dataset_id):
    data = dataset_input(owner, "v2", records=7, predecessor=dataset_id)
    leaves = [h("record-1"), h("record-2")]
    nonce, deadline, signature = _signed(registry, owner, data, withdrawn=leaves)
    with brownie.reverts(f"DatasetSignatureInvalid: {owner.address.lower()}"):
        registry.registerWithSig(data, leaves[:1], nonce, deadline, signature, {"from": relayer})
