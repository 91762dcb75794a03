"""Grants by signature: the owner signs an EIP-712 `AccessGrant` offline (no gas), the researcher submits
it with `grantAccessWithSig` and pays. The data key is wrapped for the researcher exactly as for a plain
grant; the signed document (JSON) carries everything the submission needs and nothing secret.

Nonces are unordered (a random 256-bit value per signed grant): any number can be outstanding, a signed
registration does not touch them, and the owner cancels one before it is submitted with
`cancel_signed_grant` (`grantNonceUsed` then answers true and a submission reverts).
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from eth_account import Account

from aitrail._files import write_private
from aitrail.chain.accounts import checked_address
from aitrail.chain.eip712 import ACCESS_GRANT, registry_domain
from aitrail.errors import AitrailError, InputFileError, NotDatasetOwnerError
from aitrail.flows._common import require_file
from aitrail.flows.access import DAY, Grant, _public_key_of, data_key_as_owner
from aitrail.flows.session import Session

FORMAT = "aitrail-signed-grant-v1"


def sign_grant(
    session: Session, dataset_id: int, account: str, days: int = 30, valid_days: int = 7
) -> dict[str, Any]:
    """The owner's signed grant for `account`, valid for `valid_days`; sends no transaction."""
    from aitrail import crypto

    registry = session.suite.datasets
    grantee = checked_address(account)
    record = registry.get(dataset_id)
    if record.owner.lower() != session.address.lower():
        raise NotDatasetOwnerError(session.address, dataset_id)
    if registry.is_withdrawn(dataset_id):
        raise AitrailError(f"dataset {dataset_id} is withdrawn: no new grants")
    public = _public_key_of(session, dataset_id, grantee)
    key_ref = session.store.add_bytes(
        crypto.wrap_key(data_key_as_owner(session, dataset_id), public), cid_version=1
    ).digest
    message = {
        "datasetId": dataset_id,
        "grantee": grantee,
        "duration": days * DAY,
        "keyRef": key_ref,
        "nonce": secrets.randbits(256),
        "deadline": session.block_time() + valid_days * DAY,
    }
    domain = registry_domain(session.chain_id, registry.address)
    signed = Account.sign_typed_data(session.key.key, domain, {"AccessGrant": ACCESS_GRANT}, message)
    return {
        "format": FORMAT,
        "owner": session.address,
        "chainId": session.chain_id,
        "registry": registry.address,
        **message,
        "keyRef": "0x" + key_ref.hex(),
        "signature": "0x" + bytes(signed.signature).hex(),
    }


def write_signed_grant(document: dict[str, Any], path: Path) -> None:
    write_private(path, json.dumps(document, indent=1) + "\n")


def _read_signed_grant(session: Session, path: Path) -> tuple[dict[str, Any], tuple[Any, ...]]:
    try:
        doc = json.loads(require_file(path).read_text())
        if doc.get("format") != FORMAT:
            raise InputFileError(str(path), f"not a signed grant (format {doc.get('format')!r})")
        fields = (
            int(doc["datasetId"]),
            checked_address(doc["grantee"]),
            int(doc["duration"]),
            bytes.fromhex(str(doc["keyRef"])[2:]),
            int(doc["nonce"]),
            int(doc["deadline"]),
            bytes.fromhex(str(doc["signature"])[2:]),
        )
    except (json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
        raise InputFileError(str(path), f"not a signed grant: {exc}") from None
    if int(doc.get("chainId", 0)) != session.chain_id:
        raise AitrailError(
            f"{path} was signed for chain {doc.get('chainId')}, this is chain {session.chain_id}"
        )
    return doc, fields


def cancel_signed_grant(session: Session, path: Path) -> str:
    """The owner cancels a signed grant before it is submitted; returns the transaction hash."""
    doc, fields = _read_signed_grant(session, path)
    if str(doc.get("owner", "")).lower() != session.address.lower():
        raise AitrailError(f"{path} was signed by {doc.get('owner')}, not by {session.address}")
    receipt = session.suite.datasets.cancel_grant_signature(fields[4])
    return str(receipt["transactionHash"].to_0x_hex())


def submit_grant(session: Session, path: Path) -> Grant:
    """The researcher submits a signed grant (and pays for it)."""
    _, fields = _read_signed_grant(session, path)
    registry = session.suite.datasets
    receipt = registry.send(f"submit the signed grant for dataset {fields[0]}", "grantAccessWithSig", *fields)
    (event,) = registry.receipt_events(receipt, "AccessGranted")
    return Grant(
        fields[0],
        fields[1],
        int(event["args"]["expiresAt"]),
        fields[3],
        receipt["transactionHash"].to_0x_hex(),
    )
