"""Access flows: request, list requests, grant (with the data key wrapped for the grantee), revoke,
status, buy through the market, and fetch (logged on-chain first, then fetched, decrypted, verified).

Key delivery: a grant carries `keyRef`, the sha2-256 digest of a CIDv1 (raw) block in the store holding
the data key wrapped with ECIES for the grantee's public key, which the grantee published in their
`AccessRequested` event (or, for a buyer, in the market's `AccessPurchased` event). Only the grantee's
private key opens it. A grant made without one (bought through the market) gets it later from
`deliverKey`, in an `AccessKeyDelivered` event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress

from aitrail import crypto
from aitrail.chain.accounts import checked_address
from aitrail.chain.contracts import DatasetRecord
from aitrail.chain.reverts import MESSAGES
from aitrail.cid import CID, CidKind
from aitrail.errors import (
    AccessDeniedError,
    AitrailError,
    ContractRevertError,
    NoAccessRequestError,
    NotDatasetOwnerError,
)
from aitrail.fetch import FetchResult, fetch
from aitrail.flows._common import day, read_json, read_published, text_ref, when
from aitrail.flows.session import Session
from aitrail.results import Purchase, Result
from aitrail.trail import stored_purpose

DAY = 86_400
ZERO32 = bytes(32)


@dataclass(frozen=True)
class Grant(Result):
    dataset_id: int = field(metadata={"json": "dataset"})
    grantee: str
    expires_at: int
    key_ref: bytes
    tx_hash: str = field(metadata={"json": "tx"})


def request_access(session: Session, dataset_id: int, purpose: str, days: int = 30) -> str:
    key = session.key
    public = crypto.public_key_from_private(bytes(key.key))
    purpose_ref = text_ref(session.store, purpose)
    receipt = session.suite.datasets.request(dataset_id, purpose_ref, days * DAY, public)
    return str(receipt["transactionHash"].to_0x_hex())


def pending_requests(session: Session, dataset_id: int) -> list[dict[str, Any]]:
    """Requests not followed by a grant to the same researcher (the registry stores none: events)."""
    registry = session.suite.datasets
    registry.get(dataset_id)  # DatasetUnknown for a bad id
    granted: dict[str, int] = {}
    for event in registry.events("AccessGranted", datasetId=dataset_id):
        granted[event["args"]["grantee"]] = int(event["blockNumber"])
    rows = []
    for event in registry.events("AccessRequested", datasetId=dataset_id):
        who = event["args"]["researcher"]
        if granted.get(who, -1) >= int(event["blockNumber"]):
            continue
        rows.append(
            {
                "researcher": who,
                "days": int(event["args"]["duration"]) // DAY,
                "purpose": purpose_text(session, bytes(event["args"]["purpose"])),
                "block": int(event["blockNumber"]),
                "tx": event["transactionHash"].to_0x_hex(),
            }
        )
    return rows


def purpose_text(session: Session, ref: bytes) -> str:
    """A request's purpose as written, from the shared store; its on-chain digest when the store lacks it."""
    return stored_purpose(session.store, ref)


def _public_key_of(session: Session, dataset_id: int, account: ChecksumAddress) -> bytes:
    """The newest public key `account` published for `dataset_id`: with a request or with a purchase."""
    suite = session.suite
    published = suite.datasets.events("AccessRequested", datasetId=dataset_id, researcher=account)
    published += suite.market.events("AccessPurchased", datasetId=dataset_id, buyer=account)
    if not published:
        raise NoAccessRequestError(dataset_id, account)
    published.sort(key=lambda e: (e["blockNumber"], e["logIndex"]))
    return bytes(published[-1]["args"]["publicKey"])


def data_key_as_owner(session: Session, dataset_id: int) -> bytes:
    record = session.suite.datasets.get(dataset_id)
    meta = read_json(session.store, record.metadata_cid, f"dataset {dataset_id}'s metadata")
    if record.owner.lower() != session.address.lower():
        raise NotDatasetOwnerError(session.address, dataset_id)
    wrapped = read_published(
        session.store, CID.decode(str(meta["ownerKey"])), f"dataset {dataset_id}'s owner key"
    )
    return crypto.unwrap_key(wrapped, session.key)


def data_key_as_grantee(session: Session, dataset_id: int) -> bytes:
    """The data key delivered to this account: the newest non-zero key ref, from a grant or from a later
    delivery (`deliverKey`), unwrapped with the account's key."""
    registry = session.suite.datasets
    who = {"datasetId": dataset_id, "grantee": session.address}
    events = registry.events("AccessGranted", **who) + registry.events("AccessKeyDelivered", **who)
    events.sort(key=lambda e: (e["blockNumber"], e["logIndex"]))
    refs = [bytes(e["args"]["keyRef"]) for e in events if bytes(e["args"]["keyRef"]) != ZERO32]
    if not refs:
        raise AitrailError(
            f"dataset {dataset_id}: access is granted but no data key was delivered yet; "
            "ask the owner to run `aitrail access deliver`"
        )
    ref = CID.from_onchain(refs[-1], CidKind.V1_RAW)
    wrapped = read_published(session.store, ref, f"your wrapped key of dataset {dataset_id}")
    return crypto.unwrap_key(wrapped, session.key)


def data_key_of(session: Session, dataset_id: int) -> bytes:
    """The data key as this account holds it: the owner's own wrapped copy, else a delivered one."""
    if session.suite.datasets.get(dataset_id).owner.lower() == session.address.lower():
        return data_key_as_owner(session, dataset_id)
    return data_key_as_grantee(session, dataset_id)


def grant_access(
    session: Session,
    dataset_id: int,
    account: str,
    days: int = 30,
    public_key: bytes | None = None,
) -> Grant:
    from aitrail.flows.gateway import gateway_served  # deferred: that module builds on this one

    grantee = checked_address(account)
    # A gateway-served dataset is delivered by its gateway: the researcher never receives the data key.
    if gateway_served(session, dataset_id):
        _check_grantor(session, dataset_id)
        key_ref = ZERO32
    else:
        key_ref = _wrapped_key_ref(session, dataset_id, grantee, public_key)
    expires, receipt = session.suite.datasets.grant(dataset_id, grantee, days * DAY, key_ref)
    return Grant(dataset_id, grantee, expires, key_ref, receipt["transactionHash"].to_0x_hex())


def deliver_key(session: Session, dataset_id: int, account: str) -> Grant:
    """Deliver the data key to a grantee whose grant carries none (one bought through the market): the
    registry's `deliverKey` records the key reference in an event and leaves the expiry as it was."""
    from aitrail.flows.gateway import gateway_served  # deferred: that module builds on this one

    grantee = checked_address(account)
    registry = session.suite.datasets
    _check_grantor(session, dataset_id)
    if gateway_served(session, dataset_id):
        raise AitrailError(
            f"dataset {dataset_id} is served by a gateway: its researchers fetch through the gateway "
            "(`dataset fetch --gateway URL`) and never receive the data key"
        )
    # Checked before the wrapped key is stored, so a refused delivery leaves no block behind.
    if registry.is_withdrawn(dataset_id):
        raise ContractRevertError(MESSAGES["DatasetIsWithdrawn"]((dataset_id,)), "DatasetIsWithdrawn", {})
    expires = registry.expiry(dataset_id, grantee)
    if expires == 0:
        values: tuple[Any, ...] = (dataset_id, grantee)
        raise ContractRevertError(MESSAGES["AccessGrantUnknown"](values), "AccessGrantUnknown", {})
    if session.block_time() >= expires:
        values = (dataset_id, grantee, expires, session.block_time())
        raise ContractRevertError(MESSAGES["AccessGrantExpired"](values), "AccessGrantExpired", {})
    key_ref = _wrapped_key_ref(session, dataset_id, grantee, None)
    receipt = registry.deliver_key(dataset_id, grantee, key_ref)
    return Grant(dataset_id, grantee, expires, key_ref, receipt["transactionHash"].to_0x_hex())


def _check_grantor(session: Session, dataset_id: int) -> None:
    """The session's account is the owner of the dataset or its operator (DatasetUnknown first)."""
    registry = session.suite.datasets
    record = registry.get(dataset_id)
    if record.owner.lower() != session.address.lower() and not registry.is_operator(
        record.owner, session.address
    ):
        raise NotDatasetOwnerError(session.address, dataset_id, " nor its operator")


def _wrapped_key_ref(
    session: Session, dataset_id: int, grantee: ChecksumAddress, public_key: bytes | None
) -> bytes:
    """Wrap the data key for the grantee's public key, store it, and return the CID digest for keyRef."""
    _check_grantor(session, dataset_id)
    public = public_key if public_key is not None else _public_key_of(session, dataset_id, grantee)
    wrapped = crypto.wrap_key(data_key_as_owner(session, dataset_id), public)
    return session.store.add_bytes(wrapped, cid_version=1).digest


def revoke_access(session: Session, dataset_id: int, account: str) -> str:
    receipt = session.suite.datasets.revoke(dataset_id, checked_address(account))
    return str(receipt["transactionHash"].to_0x_hex())


def access_status(session: Session, account: str | None = None) -> list[dict[str, Any]]:
    who = checked_address(account or session.address)
    registry = session.suite.datasets
    now = session.block_time()
    latest: dict[int, Any] = {}
    for event in registry.events("AccessGranted", grantee=who):
        latest[int(event["args"]["datasetId"])] = event
    requested = {int(e["args"]["datasetId"]) for e in registry.events("AccessRequested", researcher=who)}
    rows = []
    for dataset_id in sorted(set(latest) | requested):
        expiry = registry.expiry(dataset_id, who)
        allowed = registry.has_access(dataset_id, who)
        state = (
            "active"
            if allowed
            else (
                "requested"
                if dataset_id not in latest
                else "withdrawn"
                if registry.is_withdrawn(dataset_id)
                else "revoked"
                if expiry == 0
                else "expired"
            )
        )
        rows.append(
            {
                "dataset": dataset_id,
                "account": who,
                "status": state,
                "expiresAt": expiry or None,
                "expires": when(expiry) if expiry else "-",
                "remainingDays": max(0, expiry - now) // DAY,
            }
        )
    return rows


def buy_access(session: Session, dataset_id: int, days: int = 30) -> Purchase:
    suite = session.suite
    fee = suite.market.quote(dataset_id, days)  # MarketNotListed before anything is sent
    # Checked here too so that a refused purchase leaves no allowance behind.
    owner = suite.datasets.get(dataset_id).owner
    if owner.lower() == session.address.lower():
        raise ContractRevertError(
            MESSAGES["MarketOwnerCannotBuy"]((dataset_id, owner)), "MarketOwnerCannotBuy", {}
        )
    held = suite.token.balance(session.address)
    if held < fee:
        values = (session.address, held, fee)
        raise ContractRevertError(
            MESSAGES["ERC20InsufficientBalance"](values), "ERC20InsufficientBalance", {}
        )
    if suite.token.allowance(session.address, suite.market.address) < fee:
        suite.token.approve(suite.market.address, fee)
    # The buyer's public key goes with the purchase, so the owner can deliver the data key at once.
    public = crypto.public_key_from_private(bytes(session.key.key))
    paid, expires, receipt = suite.market.buy(dataset_id, days, public, fee)
    tx = receipt["transactionHash"].to_0x_hex()
    return Purchase(dataset=dataset_id, fee=paid, expires_at=expires, tx=tx)


def set_price(session: Session, dataset_id: int, price_per_day: int) -> str:
    """List the dataset on the market; the market grants as the owner's operator, approved here once."""
    suite = session.suite
    owner = suite.datasets.get(dataset_id).owner
    if owner.lower() != session.address.lower():  # before approving the market as an operator
        values = (dataset_id, session.address)
        raise ContractRevertError(MESSAGES["MarketNotDatasetOwner"](values), "MarketNotDatasetOwner", {})
    if not suite.datasets.is_operator(session.address, suite.market.address):
        suite.datasets.set_operator(suite.market.address, True)
    receipt = suite.market.set_price(dataset_id, price_per_day)
    return str(receipt["transactionHash"].to_0x_hex())


def fetch_dataset(
    session: Session, dataset_id: int, out_dir: Path, show_progress: bool | None = None
) -> FetchResult:
    """Log the attempt on-chain, then (if allowed) fetch, decrypt with the wrapped key, verify, write.

    The on-chain entry records the access check, not a delivery: what can be checked without the
    chain's say (the metadata and the wrapped key readable, a key delivered at all) is checked before
    an allowed attempt is logged, and on any later failure nothing is left at `out_dir`."""
    registry = session.suite.datasets
    record = registry.get(dataset_id)  # DatasetUnknown before anything is logged
    prepared = None
    if registry.has_access(dataset_id, session.address):
        prepared = _data_key_and_name(session, dataset_id, record)
    allowed, receipt = registry.log_access(dataset_id)
    tx_hash = receipt["transactionHash"].to_0x_hex()
    if not allowed:
        raise AccessDeniedError(_why_denied(session, dataset_id), dataset_id, session.address, tx_hash)
    data_key, name = prepared or _data_key_and_name(session, dataset_id, record)
    return fetch(
        session.store,
        record.cid,
        out_dir / name,
        expected_sha256=record.content_hash,
        data_key=data_key,
        show_progress=show_progress,
    )


def _data_key_and_name(session: Session, dataset_id: int, record: DatasetRecord) -> tuple[bytes, str]:
    meta = read_json(session.store, record.metadata_cid, f"dataset {dataset_id}'s metadata")
    if record.owner.lower() == session.address.lower():
        data_key = data_key_as_owner(session, dataset_id)
    else:
        data_key = data_key_as_grantee(session, dataset_id)
    name = Path(str(meta.get("distribution", {}).get("name") or f"dataset-{dataset_id}")).name
    return data_key, name


def _why_denied(session: Session, dataset_id: int) -> str:
    registry = session.suite.datasets
    who = session.address
    withdrawn = session.withdrawn_at(dataset_id)
    if withdrawn is not None:
        return f"dataset {dataset_id} was withdrawn on {day(withdrawn)}"
    expiry = registry.expiry(dataset_id, who)
    if expiry:
        return f"access of {who} to dataset {dataset_id} expired on {when(expiry)}"
    if registry.events("AccessRevoked", datasetId=dataset_id, grantee=who):
        return f"access of {who} to dataset {dataset_id} was revoked"
    return (
        f"{who} has no access to dataset {dataset_id}; ask for it with `aitrail access request {dataset_id}`"
    )
