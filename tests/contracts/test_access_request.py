"""requestAccess: the event carries the purpose, duration and the researcher's own encryption key."""

import brownie
import pytest
from eth_utils import keccak

from scripts.datasets_support import account_public_key, h, hx, public_key


def _address_of(key):
    return "0x" + keccak(key)[12:].hex()


def test_request_emits_everything_the_owner_needs(registry, researcher, dataset_id):
    key = account_public_key(researcher)
    tx = registry.requestAccess(dataset_id, h("purpose"), 7 * 86400, key, {"from": researcher})
    assert dict(tx.events["AccessRequested"]) == {
        "datasetId": dataset_id,
        "researcher": researcher,
        "purpose": hx(h("purpose")),
        "duration": 7 * 86400,
        "publicKey": hx(key),
    }


def test_request_with_default_duration_is_accepted(registry, researcher, dataset_id):
    tx = registry.requestAccess(
        dataset_id, h("purpose"), 0, account_public_key(researcher), {"from": researcher}
    )
    assert tx.events["AccessRequested"]["duration"] == 0


def test_request_grants_nothing_by_itself(registry, researcher, dataset_id):
    registry.requestAccess(dataset_id, h("purpose"), 0, account_public_key(researcher), {"from": researcher})
    assert registry.hasAccess(dataset_id, researcher) is False


@pytest.mark.parametrize("length", [0, 33, 63, 65])
def test_public_key_of_the_wrong_length_is_refused(registry, researcher, dataset_id, length):
    key = (public_key(3) * 2)[:length]
    with brownie.reverts(f"AccessPublicKeyInvalid: {key!r}"):
        registry.requestAccess(dataset_id, h("purpose"), 0, key, {"from": researcher})


def test_a_key_that_is_not_the_senders_is_refused(registry, researcher, owner, dataset_id):
    """Issue 11 item 8: a valid curve point of somebody else (here the dataset owner's own key, or a key
    no account on the trail holds) cannot be published, so no data key is wrapped for a hidden party."""
    for key in (account_public_key(owner), public_key("stranger")):
        with brownie.reverts(f"AccessPublicKeyNotSender: {_address_of(key)}, {researcher.address.lower()}"):
            registry.requestAccess(dataset_id, h("purpose"), 0, key, {"from": researcher})


def test_a_point_off_the_curve_is_refused(registry, researcher, dataset_id):
    key = bytearray(account_public_key(researcher))
    key[63] ^= 1
    with brownie.reverts(
        f"AccessPublicKeyNotSender: {_address_of(bytes(key))}, {researcher.address.lower()}"
    ):
        registry.requestAccess(dataset_id, h("purpose"), 0, bytes(key), {"from": researcher})


@pytest.mark.parametrize("duration", [3599, 365 * 86400 + 1])
def test_request_for_an_out_of_range_duration_is_refused(registry, researcher, dataset_id, duration):
    with brownie.reverts(f"AccessDurationOutOfRange: {duration}, 3600, {365 * 86400}"):
        registry.requestAccess(
            dataset_id, h("purpose"), duration, account_public_key(researcher), {"from": researcher}
        )


def test_request_for_an_unknown_dataset_is_refused(registry, researcher):
    with brownie.reverts("DatasetUnknown: 12"):
        registry.requestAccess(12, h("purpose"), 0, account_public_key(researcher), {"from": researcher})
