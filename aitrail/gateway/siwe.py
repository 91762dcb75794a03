"""Sign-In with Ethereum (EIP-4361) messages: built by the client, parsed strictly and checked by the gateway.

Written over eth-account's EIP-191 `encode_defunct` / `recover_message` rather than the `siwe` package:
the grammar the gateway accepts is small (the fields it binds, no Resources or Request ID), parsing it
line by line leaves no room for lenient readings, and it adds no dependency next to brownie's pins.

The message the gateway accepts, field for field (EIP-4361 order; Expiration Time is required here)::

    {domain} wants you to sign in with your Ethereum account:
    {address, EIP-55}

    {statement}

    URI: {uri}
    Version: 1
    Chain ID: {chain id}
    Nonce: {nonce, 8+ alphanumerics}
    Issued At: {RFC 3339}
    Expiration Time: {RFC 3339}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils.address import is_checksum_address

from aitrail.errors import SiweError

STATEMENT = "Fetch datasets through this aitrail gateway; every attempt is recorded on-chain."
_HEADER = " wants you to sign in with your Ethereum account:"
_DOMAIN = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")
_NONCE = re.compile(r"^[A-Za-z0-9]{8,64}$")
_FIELDS = ("URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time")


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    statement: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: datetime
    expiration_time: datetime

    def text(self) -> str:
        fields = {
            "URI": self.uri,
            "Version": "1",
            "Chain ID": str(self.chain_id),
            "Nonce": self.nonce,
            "Issued At": _rfc3339(self.issued_at),
            "Expiration Time": _rfc3339(self.expiration_time),
        }
        body = "\n".join(f"{name}: {fields[name]}" for name in _FIELDS)
        return f"{self.domain}{_HEADER}\n{self.address}\n\n{self.statement}\n\n{body}"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(name: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SiweError(f"{name} is not an RFC 3339 time: {value!r}") from None
    if moment.tzinfo is None:
        raise SiweError(f"{name} has no time zone: {value!r}")
    return moment


def parse(text: str) -> SiweMessage:
    """The message's fields, or SiweError naming the first line that does not follow the grammar."""
    lines = text.split("\n")
    if len(lines) != 5 + len(_FIELDS) or not lines[0].endswith(_HEADER):
        raise SiweError("not an EIP-4361 message of the form this gateway issues")
    domain = lines[0][: -len(_HEADER)]
    if not _DOMAIN.match(domain):
        raise SiweError(f"bad domain {domain!r}")
    address = lines[1]
    if not is_checksum_address(address):
        raise SiweError(f"the address {address!r} is not an EIP-55 checksummed address")
    if lines[2] != "" or lines[4] != "" or not lines[3] or "\n" in lines[3]:
        raise SiweError("the statement must be one line between blank lines")
    values: dict[str, str] = {}
    for name, line in zip(_FIELDS, lines[5:], strict=True):
        prefix = f"{name}: "
        if not line.startswith(prefix):
            raise SiweError(f"expected the {name!r} field, got {line[:40]!r}")
        values[name] = line[len(prefix) :]
    if values["Version"] != "1":
        raise SiweError(f"unsupported version {values['Version']!r}")
    if not values["Chain ID"].isdigit():
        raise SiweError(f"bad chain id {values['Chain ID']!r}")
    if not _NONCE.match(values["Nonce"]):
        raise SiweError("the nonce must be 8 to 64 letters or digits")
    return SiweMessage(
        domain=domain,
        address=address,
        statement=lines[3],
        uri=values["URI"],
        chain_id=int(values["Chain ID"]),
        nonce=values["Nonce"],
        issued_at=_parse_time("Issued At", values["Issued At"]),
        expiration_time=_parse_time("Expiration Time", values["Expiration Time"]),
    )


def sign(message: SiweMessage, private_key: object) -> str:
    """The EIP-191 personal signature of the message text, 0x-hex."""
    key = getattr(private_key, "key", private_key)
    signed = Account.sign_message(encode_defunct(text=message.text()), private_key=key)
    return "0x" + bytes(signed.signature).hex()


def verify(text: str, signature: str, *, domain: str, chain_id: int, now: datetime) -> SiweMessage:
    """The parsed message if it is signed by the address it names, for this domain and chain, and current.
    The nonce is the caller's to check (single use is the gateway's state)."""
    message = parse(text)
    if message.domain != domain:
        raise SiweError(f"the message is for domain {message.domain!r}, this gateway is {domain!r}")
    if message.chain_id != chain_id:
        raise SiweError(f"the message is for chain {message.chain_id}, this gateway serves chain {chain_id}")
    if message.expiration_time <= now:
        raise SiweError(f"the message expired at {_rfc3339(message.expiration_time)}")
    if message.issued_at > now.replace(microsecond=0) and (message.issued_at - now).total_seconds() > 60:
        raise SiweError(f"the message is issued in the future ({_rfc3339(message.issued_at)})")
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
        signer = Account.recover_message(encode_defunct(text=text), signature=raw)
    except (ValueError, TypeError) as exc:
        raise SiweError(f"unreadable signature ({type(exc).__name__})") from None
    if signer != message.address:
        raise SiweError(f"the signature is {signer}'s, not {message.address}'s")
    return message
