"""Every user flow, once: the CLI, the brownie scripts, the demo and notebooks all call these."""

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
from aitrail.flows.datasets import describe, list_datasets, register_dataset, verify_copy, withdraw_dataset
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
