"""The auditor's trail of a dataset or a model, rebuilt from chain events alone (nothing off-chain is
trusted): registration, versions, requests, grants, revocations, every access attempt allowed or denied,
sales, models trained on it, rewards. Rows are in chain order (block, log index).

`logAccess` is open to anyone (an attempt is self-reported by its sender), so strangers could drown a
dataset's trail in denied entries. The trail lists attempts by accounts that requested, held or own the
dataset; denied attempts by accounts that never did are summarised in one row (and `strangerAttempts`).
A key ref in `AccessGranted` counts as "data key delivered" only when the grant transaction was sent to
the registry itself (the owner, an operator, or the owner's signed grant); a grant made through another
contract (the market) carries the caller's choice, not a delivery by the owner.

Both audits read the event index (aitrail/index), synced first unless `sync=False`: a re-audit reads only
the blocks that are new since the last one, and an audit of one dataset or model only that one's rows
(topic columns of the index). The result's "index" entry says up to which block the trail is complete."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from web3.types import EventData

from aitrail.chain.contracts import _Client
from aitrail.flows._common import BlockClock, tokens, when
from aitrail.flows.access import purpose_text
from aitrail.flows.datasets import metadata_of
from aitrail.flows.gateway import REASONS
from aitrail.flows.lineage_graph import dataset_lineage, model_lineage
from aitrail.flows.models import _model_name, resolve_model
from aitrail.flows.records import stale_citations
from aitrail.flows.session import Session
from aitrail.index import EventIndex

DAY = 86_400
Describe = Callable[[dict[str, Any]], str]


def _rows(
    session: Session,
    client: _Client,
    event: str,
    describe: Describe,
    extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    logs: Sequence[Any] | None = None,
    **filters: Any,
) -> list[dict[str, Any]]:
    clock = client.log_source.block_time if client.log_source is not None else BlockClock(session.w3)
    rows = []
    for log in client.events(event, **filters) if logs is None else logs:
        args = dict(log["args"])
        # The index returns each log's block time with it (one query, not one per row).
        stamp: Any = log.get("blockTimestamp")
        row = {
            "block": int(log["blockNumber"]),
            "logIndex": int(log["logIndex"]),
            "time": int(stamp) if stamp is not None else clock(int(log["blockNumber"])),
            "event": event,
            "detail": describe(args),
            "tx": log["transactionHash"].to_0x_hex(),
        }
        if extra is not None:
            row.update(extra(args))
        rows.append(row)
    return rows


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unique = {(r["block"], r["logIndex"]): r for r in rows}
    ordered = [unique[k] for k in sorted(unique)]
    for row in ordered:
        row["when"] = when(row["time"])
    return ordered


def indexed(
    session: Session, build: Callable[[], dict[str, Any]], sync: bool, confirmations: int | None
) -> dict[str, Any]:
    """Run `build` with the suite's event queries served by the index (synced first when `sync`)."""
    index = EventIndex.for_session(session, confirmations)
    try:
        if sync:
            result = index.sync()
            state = {"synced": True, "syncedTo": result.synced_to, "finality": result.finality,
                     "newLogs": result.new_logs}
        else:
            state = {"synced": False, "syncedTo": index.synced_to(), "finality": "not synced by this audit"}
        with index.serving(session.suite):
            trail = build()
        trail["index"] = state
        return trail
    finally:
        index.close()


def dataset_trail(
    session: Session,
    dataset_id: int,
    *,
    sync: bool = True,
    confirmations: int | None = None,
    lineage: bool = False,
) -> dict[str, Any]:
    """The dataset's trail from the event index (see the module's docstring); with `lineage`, also the
    graph a report draws (dataset versions, models trained on them, derived models)."""

    def build() -> dict[str, Any]:
        trail = _dataset_trail(session, dataset_id)
        if lineage:
            trail["lineage"] = dataset_lineage(session, dataset_id, trail["flags"])
        return trail

    return indexed(session, build, sync, confirmations)


def _dataset_trail(session: Session, dataset_id: int) -> dict[str, Any]:
    suite = session.suite
    purpose = lru_cache(maxsize=None)(lambda ref: purpose_text(session, ref))
    reg, models, rewards, market = suite.datasets, suite.models, suite.rewards, suite.market
    record = reg.get(dataset_id)  # DatasetUnknown for a bad id
    d: dict[str, Any] = {"datasetId": dataset_id}
    rows = _rows(
        session,
        reg,
        "DatasetRegistered",
        lambda a: (
            f"registered by {a['owner']}, content sha256 0x{bytes(a['contentHash']).hex()[:16]}…, "
            f"{a['recordsCount']} records"
            + (f", new version of dataset {a['predecessor']}" if a["predecessor"] else "")
        ),
        **d,
    )
    for log in reg.events("DatasetRegistered"):
        if int(log["args"]["predecessor"]) == dataset_id:
            rows += _rows(
                session,
                reg,
                "DatasetRegistered",
                lambda a: f"superseded by version {a['datasetId']}",
                datasetId=log["args"]["datasetId"],
            )
    rows += _rows(
        session,
        reg,
        "AccessRequested",
        lambda a: (
            f"{a['researcher']} requested {int(a['duration']) // DAY} days, purpose: "
            f"{purpose(bytes(a['purpose']))!r}"
        ),
        **d,
    )
    rows += _rows(
        session,
        reg,
        "AccessGranted",
        lambda a: f"{a['grantee']} granted until {when(int(a['expiresAt']))}",
        **d,
    )
    _mark_key_deliveries(session, reg, rows, dataset_id)
    rows += _rows(
        session, reg, "AccessKeyDelivered", lambda a: f"data key delivered to {a['grantee']}", **d
    )
    rows += _rows(session, reg, "AccessRevoked", lambda a: f"{a['grantee']} revoked", **d)
    source = reg.log_source if isinstance(reg.log_source, EventIndex) else None
    known = _known_accounts(reg, dataset_id)
    logged = _rows(
        session,
        reg,
        "AccessLogged",
        # The chain sees the access check, not the download: an allowed attempt may still have failed
        # (store unreachable, corrupt block, no key delivered, interrupted), so no "fetched" claim.
        lambda a: f"{a['account']} fetch attempt: access check {'ALLOWED' if a['allowed'] else 'DENIED'}",
        lambda a: {"account": str(a["account"]), "allowed": bool(a["allowed"])},
        # From the index, strangers' denied attempts stay in SQLite, counted there (_summarise_strangers).
        logs=None if source is None else source.attempts(reg, dataset_id, known),
        **d,
    )
    rows += logged
    rows += _rows(
        session, reg, "GatewaySet",
        lambda a: f"gateway {a['gateway']} " + (
            "authorised (data key wrapped for it)" if bytes(a["keyRef"]) != bytes(32) else "removed"
        ),
        **d,
    )
    # Recorded by an authorised gateway, decided by the registry: not self-reported, so never summarised
    # away as a stranger's noise.
    rows += _rows(session, reg, "GatewayAccessRecorded", _gateway_attempt, **d)
    rows += _rows(
        session,
        reg,
        "RecordsWithdrawn",
        lambda a: f"{len(a['leaves'])} records withdrawn (consent) in version {a['datasetId']}",
        predecessor=dataset_id,
    )
    rows += _rows(session, reg, "DatasetWithdrawn", lambda a: "dataset withdrawn by its owner", **d)
    rows += _rows(
        session, reg, "DatasetOwnershipTransferred", lambda a: f"owner {a['from']} → {a['to']}", **d
    )
    rows += _rows(session, market, "PriceSet", lambda a: f"price set to {tokens(a['pricePerDay'])}/day", **d)
    rows += _rows(
        session,
        market,
        "AccessPurchased",
        lambda a: f"{a['buyer']} bought {a['days_']} days for {tokens(a['fee'])}",
        **d,
    )
    rows += _rows(session, models, "DatasetCited", lambda a: _citation(session, int(a["versionId"])), **d)
    if suite.fl is not None:
        rows += _rows(
            session,
            suite.fl,
            "ParticipantAdded",
            lambda a: f"{a['participant']} joined federated task {a['taskId']} to train on this dataset",
            **d,
        )
    rows += _rows(
        session, rewards, "VoucherIssued", lambda a: f"voucher of {tokens(a['amount'])} to {a['buyer']}", **d
    )
    rows += _rows(
        session,
        rewards,
        "RewardCredited",
        lambda a: f"{tokens(a['amount'])} credited to {a['owner']} for model version {a['versionId']}",
        **d,
    )
    if source is None:
        rows, strangers = _summarise_strangers(rows, known)
    else:
        strangers = _strangers_from_index(session, source, reg, rows, dataset_id, known)
    return {
        "dataset": dataset_id,
        "name": metadata_of(session, record).get("name"),
        "owner": record.owner,
        "withdrawn": record.withdrawn,
        "trail": _ordered(rows),
        "strangerAttempts": strangers,
        "flags": stale_citations(session, dataset_id),
    }


def _gateway_attempt(a: dict[str, Any]) -> str:
    verdict = "ALLOWED" if a["allowed"] else f"DENIED, {REASONS.get(int(a['reason']), a['reason'])}"
    return f"{a['researcher']} via gateway {a['gateway']}: {verdict} (recorded by the gateway)"


def _mark_key_deliveries(session: Session, reg: _Client, rows: list[dict[str, Any]], dataset_id: int) -> None:
    """Append "(data key delivered)" to grants whose non-zero key ref the owner's side chose."""
    delivered: dict[tuple[int, int], bool] = {}
    for log in reg.events("AccessGranted", datasetId=dataset_id):
        if bytes(log["args"]["keyRef"]) == bytes(32):
            continue
        if reg.log_source is not None:
            to = reg.log_source.tx_to(bytes(log["transactionHash"]))
        else:
            to = str(session.w3.eth.get_transaction(log["transactionHash"]).get("to") or "")
        delivered[(int(log["blockNumber"]), int(log["logIndex"]))] = to.lower() == reg.address.lower()
    for row in rows:
        if row["event"] != "AccessGranted" or (row["block"], row["logIndex"]) not in delivered:
            continue
        if delivered[(row["block"], row["logIndex"])]:
            row["detail"] += " (data key delivered)"
        else:
            row["detail"] += " (key ref chosen by the calling contract: not a delivery by the owner)"


def _known_accounts(reg: _Client, dataset_id: int) -> set[str]:
    """Accounts that owned, requested or held the dataset (lower case): their attempts are listed."""
    known = {str(a).lower() for a in _owners(reg, dataset_id)}
    requested = reg.events("AccessRequested", datasetId=dataset_id)
    known |= {str(e["args"]["researcher"]).lower() for e in requested}
    known |= {str(e["args"]["grantee"]).lower() for e in reg.events("AccessGranted", datasetId=dataset_id)}
    return known


def _summary_row(last: dict[str, Any], attempts: int, accounts: int) -> dict[str, Any]:
    return {
        **last,
        "event": "AccessLogged",
        "detail": (
            f"{attempts} denied attempts by {accounts} accounts that never requested "
            "or held access (self-reported, summarised; `--json` lists the accounts)"
        ),
    }


def _strangers_from_index(
    session: Session,
    source: EventIndex,
    reg: _Client,
    rows: list[dict[str, Any]],
    dataset_id: int,
    known: set[str],
) -> dict[str, Any]:
    """What _summarise_strangers makes, counted by the index in SQL; the summary row goes into `rows`."""
    attempts, accounts, last = source.stranger_summary(reg, dataset_id, known)
    if last is not None:
        row = _rows(session, reg, "AccessLogged", lambda a: "", lambda a: {
            "account": str(a["account"]), "allowed": bool(a["allowed"])}, logs=[last])[0]
        rows.append(_summary_row(row, attempts, len(accounts)))
    return {"attempts": attempts, "accounts": sorted(accounts)}


def _summarise_strangers(
    rows: list[dict[str, Any]], known: set[str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Denied attempts by accounts that never owned, requested or held the dataset, out of the trail and
    into one summary row: anyone may log, so such entries say nothing about the dataset's use."""
    stranger_rows, kept = [], []
    for row in rows:
        account = str(row.get("account", ""))
        if row["event"] == "AccessLogged" and not row["allowed"] and account.lower() not in known:
            stranger_rows.append(row)
        else:
            kept.append(row)
    accounts = sorted({r["account"] for r in stranger_rows})
    summary = {"attempts": len(stranger_rows), "accounts": accounts}
    if stranger_rows:
        last = max(stranger_rows, key=lambda r: (r["block"], r["logIndex"]))
        kept.append(_summary_row(last, len(stranger_rows), len(accounts)))
    return kept, summary


def _owners(reg: _Client, dataset_id: int) -> list[str]:
    first = reg.events("DatasetRegistered", datasetId=dataset_id)
    moved = reg.events("DatasetOwnershipTransferred", datasetId=dataset_id)
    return [str(e["args"]["owner"]) for e in first] + [str(e["args"]["to"]) for e in moved]


def _citation(session: Session, version_id: int) -> str:
    version = session.suite.models.version(version_id)
    return (
        f"cited by model {_model_name(session, version['modelId'])!r} version {version['number']} "
        f"(version id {version_id}){_attested(session, version_id)}"
    )


def federated_task(session: Session, version_id: int) -> tuple[int, int] | None:
    """(task id, rounds) if the version is a federated task's final model, whose citations
    FederatedTraining attested (ModelRegistry's VersionTrainedFederated), else None."""
    for log in session.suite.models.events("VersionTrainedFederated", versionId=version_id):
        return int(log["args"]["taskId"]), int(log["args"]["rounds"])
    return None


def _attested(session: Session, version_id: int) -> str:
    task = federated_task(session, version_id)
    if task is None:
        return ""
    return f", the final model of federated task {task[0]}: citation attested by FederatedTraining"


def model_trail(
    session: Session,
    reference: str,
    *,
    sync: bool = True,
    confirmations: int | None = None,
    lineage: bool = False,
) -> dict[str, Any]:
    """The model's trail from the event index (see the module's docstring); with `lineage`, the graph."""

    def build() -> dict[str, Any]:
        trail = _model_trail(session, reference)
        if lineage:
            trail["lineage"] = model_lineage(session, trail["modelId"], trail["flags"])
        return trail

    return indexed(session, build, sync, confirmations)


def _model_trail(session: Session, reference: str) -> dict[str, Any]:
    model_id, _ = resolve_model(session, reference)
    suite = session.suite
    models, rewards = suite.models, suite.rewards
    m: dict[str, Any] = {"modelId": model_id}
    rows = _rows(
        session, models, "ModelRegistered", lambda a: f"model {a['name']!r} registered by {a['owner']}", **m
    )
    rows += _rows(
        session, models, "ModelTransferred", lambda a: f"owner {a['previousOwner']} → {a['newOwner']}", **m
    )
    versions = [int(e["args"]["versionId"]) for e in models.events("VersionPublished", modelId=model_id)]
    rows += _rows(
        session,
        models,
        "VersionPublished",
        lambda a: (
            f"version {a['number']} (id {a['versionId']}) published by {a['publisher']}, weights "
            f"0x{bytes(a['weightsDigest']).hex()[:16]}…"
        ),
        **m,
    )
    federated = []
    for version_id in versions:
        v: dict[str, Any] = {"versionId": version_id}
        task = federated_task(session, version_id)
        how = "" if task is None else f" (federated task {task[0]}: attested by FederatedTraining)"

        def cited(a: dict[str, Any], how: str = how) -> str:
            return f"version id {a['versionId']} trained on dataset {a['datasetId']}{how}"

        rows += _rows(session, models, "DatasetCited", cited, **v)
        if task is not None:
            federated.append(
                {
                    "versionId": version_id,
                    "taskId": task[0],
                    "rounds": task[1],
                    "federatedTraining": models.federated_training(),
                }
            )
            rows += _rows(
                session,
                models,
                "VersionTrainedFederated",
                lambda a: (
                    f"version id {a['versionId']} is the final aggregate of federated task {a['taskId']} "
                    f"({a['rounds']} rounds); FederatedTraining checked every participant's access at each "
                    "update and attests its datasets"
                ),
                **v,
            )
        rows += _rows(
            session,
            models,
            "VersionDerived",
            lambda a: f"version id {a['versionId']} derived from version id {a['parentVersionId']}",
            **v,
        )
        rows += _rows(
            session,
            models,
            "VersionDerived",
            lambda a: (
                f"version id {a['versionId']} (another model) derived from version id {a['parentVersionId']}"
            ),
            parentVersionId=version_id,
        )
        rows += _rows(
            session,
            rewards,
            "RewardCredited",
            lambda a: f"{tokens(a['amount'])} credited to {a['owner']} (owner of dataset {a['datasetId']})",
            **v,
        )
    rows += _rows(
        session, models, "VersionDeprecated", lambda a: f"version id {a['versionId']} deprecated", **m
    )
    rows += _rows(
        session,
        models,
        "AliasMoved",
        lambda a: (
            f"alias {bytes(a['alias_']).rstrip(bytes(1)).decode(errors='replace')!r} → "
            f"version id {a['versionId']}"
        ),
        **m,
    )
    flags = []
    for version_id in versions:
        for log in models.events("DatasetCited", versionId=version_id):
            flags += stale_citations(session, int(log["args"]["datasetId"]), version_id)
    return {
        "federated": federated,
        "flags": flags,
        "model": _model_name(session, model_id),
        "modelId": model_id,
        "owner": models.model(model_id)["owner"],
        "trail": _ordered(rows),
    }


def trail_table(trail: list[dict[str, Any]], flags: Sequence[dict[str, Any]] = ()) -> str:
    lines = [f"{'when':<21} {'block':>6}  {'event':<18} detail"]
    for row in trail:
        lines.append(f"{row['when']:<21} {row['block']:>6}  {row['event']:<18} {row['detail']}")
    lines += [f"FLAG: {flag['message']}" for flag in flags]
    return "\n".join(lines)


__all__ = ["EventData", "dataset_trail", "model_trail", "trail_table"]
