"""The gateway's EIP-4361 messages: the text follows the spec's layout, parsing is strict, and every
binding (domain, chain id, expiry, signer) is checked."""

from datetime import UTC, datetime, timedelta

import pytest

from aitrail.chain.accounts import dev_account
from aitrail.errors import SiweError
from aitrail.gateway import siwe

NOW = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)


def _message(**changes):
    fields = dict(
        domain="127.0.0.1:8700",
        address=dev_account("anvil2").address,
        statement=siwe.STATEMENT,
        uri="http://127.0.0.1:8700",
        chain_id=31337,
        nonce="a1b2c3d4e5f6a7b8",
        issued_at=NOW,
        expiration_time=NOW + timedelta(minutes=10),
    )
    fields.update(changes)
    return siwe.SiweMessage(**fields)


def test_text_follows_eip_4361_and_round_trips():
    message = _message()
    text = message.text()
    assert text.splitlines() == [
        "127.0.0.1:8700 wants you to sign in with your Ethereum account:",
        message.address,
        "",
        siwe.STATEMENT,
        "",
        "URI: http://127.0.0.1:8700",
        "Version: 1",
        "Chain ID: 31337",
        "Nonce: a1b2c3d4e5f6a7b8",
        "Issued At: 2026-12-02T03:00:00Z",
        "Expiration Time: 2026-12-02T03:10:00Z",
    ]
    assert siwe.parse(text) == message


def test_a_signed_message_verifies():
    message = _message()
    signature = siwe.sign(message, dev_account("anvil2"))
    checked = siwe.verify(message.text(), signature, domain="127.0.0.1:8700", chain_id=31337, now=NOW)
    assert checked.address == message.address


@pytest.mark.parametrize(
    ("changes", "kwargs", "words"),
    [
        ({}, {"domain": "other:1"}, "the message is for domain '127.0.0.1:8700'"),
        ({}, {"chain_id": 1}, "the message is for chain 31337"),
        ({"expiration_time": NOW}, {}, "the message expired at 2026-12-02T03:00:00Z"),
        ({"issued_at": NOW + timedelta(hours=1)}, {}, "issued in the future"),
    ],
)
def test_bindings_are_checked(changes, kwargs, words):
    message = _message(**changes)
    signature = siwe.sign(message, dev_account("anvil2"))
    args = {"domain": "127.0.0.1:8700", "chain_id": 31337, "now": NOW, **kwargs}
    with pytest.raises(SiweError, match=words.replace("(", r"\(")):
        siwe.verify(message.text(), signature, **args)


def test_another_accounts_signature_is_refused():
    message = _message()
    signature = siwe.sign(message, dev_account("anvil3"))
    with pytest.raises(SiweError, match=f"the signature is {dev_account('anvil3').address}'s"):
        siwe.verify(message.text(), signature, domain="127.0.0.1:8700", chain_id=31337, now=NOW)


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda t: t.replace("Version: 1", "Version: 2"), "unsupported version"),
        (lambda t: t.replace("Nonce: a1b2c3d4e5f6a7b8", "Nonce: short"), "nonce must be 8 to 64"),
        (lambda t: t.replace(dev_account("anvil2").address, dev_account("anvil2").address.lower()), "EIP-55"),
        (lambda t: t + "\nResources:", "not an EIP-4361 message"),
        (lambda t: t.replace("Chain ID", "Chain"), "expected the 'Chain ID' field"),
        (lambda t: t.replace("2026-12-02T03:10:00Z", "tomorrow"), "not an RFC 3339 time"),
        (lambda t: t.replace("127.0.0.1:8700 wants", "evil/../x wants"), "bad domain"),
    ],
)
def test_malformed_messages_are_refused(edit, words):
    with pytest.raises(SiweError, match=words):
        siwe.parse(edit(_message().text()))
