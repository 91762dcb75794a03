"""requestAccess: the event carries the purpose, duration and the researcher's encryption key."""

import brownie
import pytest

from scripts.datasets_support import h, hx, public_key

P = 2**256 - 2**32 - 977


def test_request_emits_everything_the_owner_needs(registry, researcher, dataset_id):
    key = public_key("alice")
    tx = registry.requestAccess(dataset_id, h("purpose"), 7 * 86400, key, {"from": researcher})
    assert dict(tx.events["AccessRequested"]) == {
        "datasetId": dataset_id,
        "researcher": researcher,
        "purpose": hx(h("purpose")),
        "duration": 7 * 86400,
        "publicKey": hx(key),
    }


def test_request_with_default_duration_is_accepted(registry, researcher, dataset_id):
    tx = registry.requestAccess(dataset_id, h("purpose"), 0, public_key(2), {"from": researcher})
    assert tx.events["AccessRequested"]["duration"] == 0


def test_request_grants_nothing_by_itself(registry, researcher, dataset_id):
    registry.requestAccess(dataset_id, h("purpose"), 0, public_key(2), {"from": researcher})
    assert registry.hasAccess(dataset_id, researcher) is False


@pytest.mark.parametrize("length", [0, 33, 63, 65])
def test_public_key_of_the_wrong_length_is_refused(registry, researcher, dataset_id, length):
    key = (public_key(3) * 2)[:length]
    with brownie.reverts(f"AccessPublicKeyInvalid: {key!r}"):
        registry.requestAccess(dataset_id, h("purpose"), 0, key, {"from": researcher})


def test_point_off_the_curve_is_refused(registry, researcher, dataset_id):
    key = bytearray(public_key(4))
    key[63] ^= 1
    with brownie.reverts(f"AccessPublicKeyInvalid: {bytes(key)!r}"):
        registry.requestAccess(dataset_id, h("purpose"), 0, bytes(key), {"from": researcher})


def _small_x_point():
    """A curve point with x < 2^256 - P, so x + P still fits 256 bits (the same point mod P)."""
    for x in range(1, 1000):
        rhs = (x**3 + 7) % P
        y = pow(rhs, (P + 1) // 4, P)  # P = 3 mod 4: the square root if one exists
        if y * y % P == rhs:
            return x, y
    raise AssertionError("no small point found")


def test_coordinate_above_the_field_prime_is_refused(registry, researcher, dataset_id):
    x, y = _small_x_point()
    valid = x.to_bytes(32, "big") + y.to_bytes(32, "big")
    registry.requestAccess(dataset_id, h("purpose"), 0, valid, {"from": researcher})
    forged = (x + P).to_bytes(32, "big") + y.to_bytes(32, "big")  # equal mod P, out of range
    with brownie.reverts(f"AccessPublicKeyInvalid: {forged!r}"):
        registry.requestAccess(dataset_id, h("purpose"), 0, forged, {"from": researcher})


@pytest.mark.parametrize("duration", [3599, 365 * 86400 + 1])
def test_request_for_an_out_of_range_duration_is_refused(registry, researcher, dataset_id, duration):
    with brownie.reverts(f"AccessDurationOutOfRange: {duration}, 3600, {365 * 86400}"):
        registry.requestAccess(dataset_id, h("purpose"), duration, public_key(6), {"from": researcher})


def test_request_for_an_unknown_dataset_is_refused(registry, researcher):
    with brownie.reverts("DatasetUnknown: 12"):
        registry.requestAccess(12, h("purpose"), 0, public_key(7), {"from": researcher})
