"""Expiry needs no transaction. A grant expiring at E gives access at E - 1 s, not at E or E + 1 s,
both for the view (`hasAccess` in a block at that time) and inside a transaction (`logAccess`)."""

import pytest
from brownie import chain

from tests.contracts.conftest import mine_at, set_next_timestamp

DURATION = 3600


@pytest.fixture
def expiry(registry, owner, researcher, dataset_id):
    start = chain.time() + 10
    set_next_timestamp(start)
    tx = registry.grantAccess(dataset_id, researcher, DURATION, bytes(32), {"from": owner})
    assert tx.timestamp == start
    return tx.return_value


@pytest.mark.parametrize("offset, allowed", [(-1, True), (0, False), (1, False)])
def test_has_access_at_the_expiry_boundary(registry, researcher, dataset_id, expiry, offset, allowed):
    assert expiry == chain[-1].timestamp + DURATION
    mine_at(expiry + offset)
    assert chain[-1].timestamp == expiry + offset
    assert registry.hasAccess(dataset_id, researcher) is allowed


@pytest.mark.parametrize("offset, allowed", [(-1, True), (0, False), (1, False)])
def test_logged_attempt_at_the_expiry_boundary(registry, researcher, dataset_id, expiry, offset, allowed):
    set_next_timestamp(expiry + offset)
    tx = registry.logAccess(dataset_id, {"from": researcher})
    assert tx.timestamp == expiry + offset
    assert tx.return_value is allowed
    assert tx.events["AccessLogged"]["allowed"] is allowed


def test_owner_access_does_not_expire(registry, owner, dataset_id, expiry):
    mine_at(expiry + 400 * 86400)
    assert registry.hasAccess(dataset_id, owner) is True
