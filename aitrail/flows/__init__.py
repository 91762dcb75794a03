"""Every user flow, once: the CLI, the brownie scripts, the demo and notebooks all call these.

The names below are loaded on first use (PEP 562): `from aitrail.flows import register_dataset` imports
`aitrail.flows.datasets` and what it needs, not every flow (the audit, the records trees and numpy, the
models), so each command pays only for its own imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aitrail._lazy import lazy_exports

# name -> the module of aitrail.flows that defines it
_EXPORTS = {
    "account_from_brownie": "session",
    "balance": "rewards",
    "buy_access": "access",
    "claim": "rewards",
    "dataset_trail": "audit",
    "deliver_key": "access",
    "deploy_suite": "deploy",
    "DeployParams": "deploy",
    "describe": "datasets",
    "fetch_dataset": "access",
    "find_suite": "deploy",
    "grant_access": "access",
    "lineage": "models",
    "list_datasets": "datasets",
    "model_trail": "audit",
    "pending_requests": "access",
    "prove_record": "records",
    "publish_model": "models",
    "register_dataset": "datasets",
    "request_access": "access",
    "revoke_access": "access",
    "send_tokens": "rewards",
    "Session": "session",
    "set_price": "access",
    "stale_citations": "records",
    "trail_table": "audit",
    "verify_copy": "datasets",
    "verify_model": "models",
    "verify_record_proof": "records",
    "weights_digest": "models",
    "withdraw_dataset": "datasets",
    "withdraw_records": "records",
    "withdrawals_after": "records",
}

if TYPE_CHECKING:
    from aitrail.flows.access import (
        buy_access,
        deliver_key,
        fetch_dataset,
        grant_access,
        pending_requests,
        request_access,
        revoke_access,
        set_price,
    )
    from aitrail.flows.audit import dataset_trail, model_trail, trail_table
    from aitrail.flows.datasets import (
        describe,
        list_datasets,
        register_dataset,
        verify_copy,
        withdraw_dataset,
    )
    from aitrail.flows.deploy import DeployParams, deploy_suite, find_suite
    from aitrail.flows.models import lineage, publish_model, verify_model, weights_digest
    from aitrail.flows.records import (
        prove_record,
        stale_citations,
        verify_record_proof,
        withdraw_records,
        withdrawals_after,
    )
    from aitrail.flows.rewards import balance, claim, send_tokens
    from aitrail.flows.session import Session, account_from_brownie


__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = [
    "DeployParams",
    "Session",
    "account_from_brownie",
    "balance",
    "buy_access",
    "claim",
    "dataset_trail",
    "deliver_key",
    "deploy_suite",
    "describe",
    "fetch_dataset",
    "find_suite",
    "grant_access",
    "lineage",
    "list_datasets",
    "model_trail",
    "pending_requests",
    "prove_record",
    "publish_model",
    "register_dataset",
    "request_access",
    "revoke_access",
    "send_tokens",
    "set_price",
    "stale_citations",
    "trail_table",
    "verify_copy",
    "verify_model",
    "verify_record_proof",
    "weights_digest",
    "withdraw_dataset",
    "withdraw_records",
    "withdrawals_after",
]
