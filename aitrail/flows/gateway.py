"""Handing datasets to an access gateway, and what a gateway reads back from the chain and the store.

The gateway publishes its public key on-chain (`publish_gateway_key`, checked to be its own key); the
owner wraps the data key for that key, stores the wrapped key (CIDv1 raw) and authorises the gateway for
the dataset with the key's digest (`add_gateway`). The gateway's home needs nothing from the owner's:
`served_datasets` finds its authorisations in `GatewaySet` events and opens the wrapped keys with its
own account. A dataset with a gateway is granted without a key ref (`gateway_served`), so its
researchers never hold the data key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aitrail import crypto
from aitrail.chain.accounts import checked_address
from aitrail.chain.contracts import DatasetRecord
from aitrail.chain.reverts import MESSAGES
from aitrail.cid import CID, CidKind
from aitrail.errors import AitrailError, ContractRevertError
from aitrail.flows._common import read_json, read_published
from aitrail.flows.access import data_key_as_owner
from aitrail.flows.session import Session
from aitrail.trail import GATEWAY_REASONS

ZERO32 = bytes(32)
# The registry's REASON_* codes (IAccessGateways), as the gateway's 403 and the audit word them.
# The reason codes of recordGatewayAccess, defined beside the trail that prints them.
REASONS = GATEWAY_REASONS


@dataclass(frozen=True)
class GatewayHandover:
    dataset_id: int
    gateway: str
    key_ref: bytes
    tx_hash: str


@dataclass(frozen=True)
class ServedDataset:
    dataset_id: int
    record: DatasetRecord
    name: str
    data_key: bytes


def publish_gateway_key(session: Session) -> str | None:
    """Publish this account's public key as a gateway's; None when the same key is already published."""
    public = crypto.public_key_from_private(bytes(session.key.key))
    registry = session.suite.datasets
    if any(
        bytes(e["args"]["publicKey"]) == public
        for e in registry.events("GatewayKeyPublished", gateway=session.address)
    ):
        return None
    return str(registry.publish_gateway_key(public)["transactionHash"].to_0x_hex())


def gateway_public_key(session: Session, gateway: str) -> bytes:
    events = session.suite.datasets.events("GatewayKeyPublished", gateway=checked_address(gateway))
    if not events:
        raise AitrailError(
            f"{gateway} has published no gateway key: run `aitrail --account GW gateway serve` (or "
            "`gateway announce`) as the gateway first"
        )
    return bytes(events[-1]["args"]["publicKey"])


def add_gateway(session: Session, dataset_id: int, gateway: str) -> GatewayHandover:
    """Wrap the data key for the gateway's published key and authorise it for `dataset_id`."""
    who = checked_address(gateway)
    registry = session.suite.datasets
    owner = registry.get(dataset_id).owner  # DatasetUnknown first
    if owner.lower() != session.address.lower():  # before anything is stored
        values = (dataset_id, session.address)
        raise ContractRevertError(MESSAGES["DatasetNotOwner"](values), "DatasetNotOwner", {})
    wrapped = crypto.wrap_key(data_key_as_owner(session, dataset_id), gateway_public_key(session, who))
    key_ref = session.store.add_bytes(wrapped, cid_version=1).digest
    receipt = registry.set_gateway(dataset_id, who, key_ref)
    return GatewayHandover(dataset_id, who, key_ref, receipt["transactionHash"].to_0x_hex())


def remove_gateway(session: Session, dataset_id: int, gateway: str) -> str:
    receipt = session.suite.datasets.set_gateway(dataset_id, checked_address(gateway), ZERO32)
    return str(receipt["transactionHash"].to_0x_hex())


def _latest_key_refs(session: Session, **filters: object) -> dict[tuple[int, str], bytes]:
    latest: dict[tuple[int, str], bytes] = {}
    for event in session.suite.datasets.events("GatewaySet", **filters):
        latest[(int(event["args"]["datasetId"]), str(event["args"]["gateway"]))] = bytes(
            event["args"]["keyRef"]
        )
    return latest


def gateway_served(session: Session, dataset_id: int) -> bool:
    """Whether some gateway is authorised for the dataset now (then grants carry no key)."""
    return any(ref != ZERO32 for ref in _latest_key_refs(session, datasetId=dataset_id).values())


def served_datasets(session: Session) -> dict[int, ServedDataset]:
    """Every dataset this account is the authorised gateway of, with its data key opened."""
    served: dict[int, ServedDataset] = {}
    registry = session.suite.datasets
    for (dataset_id, _), ref in _latest_key_refs(session, gateway=session.address).items():
        if ref == ZERO32:
            continue
        record = registry.get(dataset_id)
        wrapped = read_published(
            session.store, CID.from_onchain(ref, CidKind.V1_RAW), f"dataset {dataset_id}'s gateway key"
        )
        meta = read_json(session.store, record.metadata_cid, f"dataset {dataset_id}'s metadata")
        name = Path(str(meta.get("distribution", {}).get("name") or f"dataset-{dataset_id}")).name
        served[dataset_id] = ServedDataset(dataset_id, record, name, crypto.unwrap_key(wrapped, session.key))
    return served
