"""The auditor's trail of a dataset, built once from a TrailSource: the events of the suite's contracts and
the few facts that are not events (owner, withdrawn, metadata, purposes, citations).

Two sources implement it: the session's clients (aitrail/flows/audit.py: web3, with or without the event
index) and the index read over plain JSON-RPC (aitrail/index/view.py), which imports no web3 and is what
`aitrail audit dataset` runs. Both give the same trail: tests/index checks one against the other.

`logAccess` is open to anyone (an attempt is self-reported by its sender), so strangers could drown a
dataset's trail in denied entries. The trail lists attempts by accounts that requested, held or own the
dataset; denied attempts by accounts that never did are summarised in one row (and `strangerAttempts`).
A key ref in `AccessGranted` counts as "data key delivered" only when the grant transaction was sent to
the registry itself (the owner, an operator, or the owner's signed grant); a grant made through another
contract (the market) carries the caller's choice, not a delivery by the owner.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Protocol

from aitrail._display import tokens
from aitrail._display import when as _when
from aitrail.cid import CID, CidKind
from aitrail.errors import AitrailError
from aitrail.storage.base import Store

DAY = 86_400
Describe = Callable[[dict[str, Any]], str]
# What the text table shows by default: the newest rows; the machine formats always carry every row.
TEXT_ROWS = 50

# Reason codes of `recordGatewayAccess` (the registry's decision at that block).
GATEWAY_REASONS = {
    0: "allowed",
    1: "no grant (never granted, or revoked)",
    2: "grant expired",
    3: "dataset withdrawn",
}

# The same minute is printed for every row of a block and every grant of a batch: format it once.
when = lru_cache(maxsize=4096)(_when)

StrangerSummary = tuple[int, list[str], dict[str, Any] | None]

# Who counts as known to a dataset (their denied attempts are listed, not summarised): the accounts these
# registry events name for it, as (event, argument). The index reads the same list in SQL.
KNOWN_ACCOUNTS = (
    ("DatasetRegistered", "owner"),
    ("DatasetOwnershipTransferred", "to"),
    ("AccessRequested", "researcher"),
    ("AccessGranted", "grantee"),
)


def stored_purpose(store: Store, ref: bytes) -> str:
    """A request's purpose as written, from the shared store; its on-chain digest when the store lacks it."""
    try:
        return store.read_all(CID.from_onchain(ref, CidKind.V1_RAW)).decode(errors="replace")
    except AitrailError:
        return f"(text not in this store; its sha256 is 0x{ref.hex()})"


def citation_text(model: str, number: int, version_id: int, federated_task: int | None = None) -> str:
    """The detail of a DatasetCited row: which model version was trained on the dataset; for a federated
    task's final model (ModelRegistry's VersionTrainedFederated), that FederatedTraining attested it."""
    attested = (
        ""
        if federated_task is None
        else f", the final model of federated task {federated_task}: citation attested by FederatedTraining"
    )
    return f"cited by model {model!r} version {number} (version id {version_id}){attested}"


class TrailSource(Protocol):
    """What a dataset's trail is read from. `contract` is one of datasets, models, rewards, market."""

    def events(self, contract: str, name: str, **filters: Any) -> list[Any]: ...

    def block_time(self, number: int) -> int: ...

    def tx_to(self, tx_hash: bytes) -> str: ...

    def registry_address(self) -> str: ...

    def has(self, contract: str) -> bool:
        """Whether the suite has that contract deployed (FederatedTraining is optional)."""
        ...

    def dataset_state(self, dataset_id: int) -> tuple[str, bool]:
        """(owner, withdrawn), as the registry answers now; raises DatasetUnknown for a bad id."""
        ...

    def dataset_name(self, dataset_id: int) -> str | None: ...

    def purpose(self, ref: bytes) -> str: ...

    def citation(self, version_id: int) -> str: ...

    def stale_citations(self, dataset_id: int) -> list[dict[str, Any]]: ...

    def tail(self, contract: str, name: str, newest: int, **filters: Any) -> tuple[int, list[Any]] | None:
        """How many events `events` would return and the newest `newest` of them, or None where the
        source cannot count without reading them all (then the trail reads them all)."""
        ...

    def attempts(self, dataset_id: int, newest: int | None = None) -> tuple[int, list[Any]] | None:
        """AccessLogged events the trail lists (allowed, or by an account KNOWN_ACCOUNTS names), split by
        the index in SQL, with their count (with `newest`, only the newest that many events); None where
        there is no index (the trail then splits them itself)."""
        ...

    def stranger_summary(self, dataset_id: int) -> StrangerSummary | None: ...


Extra = Callable[[Any], dict[str, Any]]


class Pending:
    """One trail row before it is written out: its place in chain order and event are known, its text is
    made only when asked (`row`). A text table of the newest 50 of 100,000 rows formats 50."""

    __slots__ = ("block", "describe", "event", "extra", "log", "log_index", "ready", "suffix")

    def __init__(
        self,
        log: Any,
        event: str,
        describe: Describe,
        extra: Extra | None = None,
        suffix: Callable[[Any], str] | None = None,
    ) -> None:
        self.log, self.event, self.describe, self.extra, self.suffix = log, event, describe, extra, suffix
        self.block, self.log_index = int(log["blockNumber"]), int(log["logIndex"])
        self.ready: dict[str, Any] | None = None

    def row(self, src: TrailSource) -> dict[str, Any]:
        if self.ready is None:
            log, args = self.log, self.log["args"]
            # The index returns each log's block time with it (one query, not one per row).
            stamp: Any = log.get("blockTimestamp")
            row = {
                "block": self.block,
                "logIndex": self.log_index,
                "time": int(stamp) if stamp is not None else src.block_time(self.block),
                "event": self.event,
                "detail": self.describe(args) + (self.suffix(log) if self.suffix is not None else ""),
                "tx": log["transactionHash"].to_0x_hex(),
            }
            if self.extra is not None:
                row.update(self.extra(args))
            self.ready = row
        return self.ready


def pending_of(
    event: str,
    describe: Describe,
    logs: Sequence[Any],
    extra: Extra | None = None,
    suffix: Callable[[Any], str] | None = None,
) -> list[Pending]:
    return [Pending(log, event, describe, extra, suffix) for log in logs]


def rows_of(
    src: TrailSource, event: str, describe: Describe, logs: Sequence[Any], extra: Extra | None = None
) -> list[dict[str, Any]]:
    return [p.row(src) for p in pending_of(event, describe, logs, extra)]


def ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    unique = {(r["block"], r["logIndex"]): r for r in rows}
    out = [unique[k] for k in sorted(unique)]
    for row in out:
        row["when"] = when(row["time"])
    return out


def _written(src: TrailSource, pending: list[Pending], newest: int | None) -> list[dict[str, Any]]:
    """The rows in chain order, each once; with `newest`, only the newest that many are written out."""
    unique = {(p.block, p.log_index): p for p in pending}
    keys = sorted(unique)
    if newest is not None and newest > 0:
        keys = keys[-newest:]
    out = []
    for key in keys:
        row = unique[key].row(src)
        row["when"] = when(row["time"])
        out.append(row)
    return out


def dataset_trail(src: TrailSource, dataset_id: int, newest: int | None = None) -> dict[str, Any]:
    """The dataset's whole trail, in chain order (block, log index). With `newest` (a text table), only
    the newest that many rows are written out, and `trailSize` counts them all by event."""
    owner, withdrawn = src.dataset_state(dataset_id)  # DatasetUnknown for a bad id
    purpose = lru_cache(maxsize=None)(src.purpose)
    d: dict[str, Any] = {"datasetId": dataset_id}

    # In a text table's trail (`newest`), the rows a query counted but did not read, by event.
    unread: Counter[str] = Counter()

    def add(
        contract: str,
        event: str,
        describe: Describe,
        suffix: Callable[[Any], str] | None = None,
        **filters: Any,
    ) -> list[Pending]:
        tail = None if newest is None else src.tail(contract, event, newest, **filters)
        if tail is None:
            return pending_of(event, describe, src.events(contract, event, **filters), suffix=suffix)
        count, logs = tail
        unread[event] += count - len(logs)
        return pending_of(event, describe, logs, suffix=suffix)

    rows = add(
        "datasets",
        "DatasetRegistered",
        lambda a: (
            f"registered by {a['owner']}, content sha256 0x{bytes(a['contentHash']).hex()[:16]}…, "
            f"{a['recordsCount']} records"
            + (f", new version of dataset {a['predecessor']}" if a["predecessor"] else "")
        ),
        **d,
    )
    for log in src.events("datasets", "DatasetRegistered"):
        if int(log["args"]["predecessor"]) == dataset_id:
            rows += add(
                "datasets",
                "DatasetRegistered",
                lambda a: f"superseded by version {a['datasetId']}",
                datasetId=log["args"]["datasetId"],
            )
    rows += add(
        "datasets",
        "AccessRequested",
        lambda a: (
            f"{a['researcher']} requested {int(a['duration']) // DAY} days, purpose: "
            f"{purpose(bytes(a['purpose']))!r}"
        ),
        **d,
    )
    rows += add(
        "datasets",
        "AccessGranted",
        lambda a: f"{a['grantee']} granted until {when(int(a['expiresAt']))}",
        _key_deliveries(src),
        **d,
    )
    rows += add("datasets", "AccessKeyDelivered", lambda a: f"data key delivered to {a['grantee']}", **d)
    rows += add("datasets", "AccessRevoked", lambda a: f"{a['grantee']} revoked", **d)
    split = src.attempts(dataset_id, newest)
    if split is not None:
        unread["AccessLogged"] += split[0] - len(split[1])
    rows += pending_of(
        "AccessLogged",
        # The chain sees the access check, not the download: an allowed attempt may still have failed
        # (store unreachable, corrupt block, no key delivered, interrupted), so no "fetched" claim.
        lambda a: f"{a['account']} fetch attempt: access check {'ALLOWED' if a['allowed'] else 'DENIED'}",
        src.events("datasets", "AccessLogged", **d) if split is None else split[1],
        _attempt_fields,
    )
    rows += add(
        "datasets",
        "GatewaySet",
        lambda a: (
            f"gateway {a['gateway']} "
            + ("authorised (data key wrapped for it)" if bytes(a["keyRef"]) != bytes(32) else "removed")
        ),
        **d,
    )
    # Recorded by an authorised gateway, decided by the registry: not self-reported, so never summarised
    # away as a stranger's noise.
    rows += add("datasets", "GatewayAccessRecorded", _gateway_attempt, **d)
    rows += add(
        "datasets",
        "RecordsWithdrawn",
        lambda a: f"{len(a['leaves'])} records withdrawn (consent) in version {a['datasetId']}",
        predecessor=dataset_id,
    )
    rows += add("datasets", "DatasetWithdrawn", lambda a: "dataset withdrawn by its owner", **d)
    rows += add("datasets", "DatasetOwnershipTransferred", lambda a: f"owner {a['from']} → {a['to']}", **d)
    rows += add("market", "PriceSet", lambda a: f"price set to {tokens(a['pricePerDay'])}/day", **d)
    rows += add(
        "market",
        "AccessPurchased",
        lambda a: f"{a['buyer']} bought {a['days_']} days for {tokens(a['fee'])}",
        **d,
    )
    rows += add("models", "DatasetCited", lambda a: src.citation(int(a["versionId"])), **d)
    if src.has("fl"):
        rows += add(
            "fl",
            "ParticipantAdded",
            lambda a: f"{a['participant']} joined federated task {a['taskId']} to train on this dataset",
            **d,
        )
    rows += add(
        "rewards", "VoucherIssued", lambda a: f"voucher of {tokens(a['amount'])} to {a['buyer']}", **d
    )
    rows += add(
        "rewards",
        "RewardCredited",
        lambda a: f"{tokens(a['amount'])} credited to {a['owner']} for model version {a['versionId']}",
        **d,
    )
    summary = src.stranger_summary(dataset_id)
    if summary is None:
        rows, strangers = _summarise_strangers(src, rows, _known_accounts(src, dataset_id))
    else:
        strangers = _strangers_from_summary(src, summary, rows)
    result = {
        "dataset": dataset_id,
        "name": src.dataset_name(dataset_id),
        "owner": owner,
        "withdrawn": withdrawn,
        "trail": _written(src, rows, newest),
        "strangerAttempts": strangers,
        "flags": src.stale_citations(dataset_id),
    }
    if newest is not None:
        # The queries are disjoint (each log is one event of one dataset), so counts add up; the tests
        # check these against the whole trail.
        counts = Counter({(p.block, p.log_index): p.event for p in rows}.values()) + unread
        result["trailSize"] = {"events": sum(counts.values()), "byEvent": dict(sorted(counts.items()))}
    return result


def _attempt_fields(a: dict[str, Any]) -> dict[str, Any]:
    return {"account": str(a["account"]), "allowed": bool(a["allowed"])}


def _gateway_attempt(a: dict[str, Any]) -> str:
    reason = int(a["reason"])
    verdict = "ALLOWED" if a["allowed"] else f"DENIED, {GATEWAY_REASONS.get(reason, reason)}"
    return f"{a['researcher']} via gateway {a['gateway']}: {verdict} (recorded by the gateway)"


def _key_deliveries(src: TrailSource) -> Callable[[Any], str]:
    """What to append to a grant's detail: "(data key delivered)" when its non-zero key ref was chosen
    by the owner's side (the transaction went to the registry itself), else that it was not. Asked per
    row written out (a text table asks for the grants it shows only)."""
    registry = src.registry_address().lower()

    def suffix(log: Any) -> str:
        if bytes(log["args"]["keyRef"]) == bytes(32):
            return ""
        if src.tx_to(bytes(log["transactionHash"])).lower() == registry:
            return " (data key delivered)"
        return " (key ref chosen by the calling contract: not a delivery by the owner)"

    return suffix


def _known_accounts(src: TrailSource, dataset_id: int) -> set[str]:
    """Accounts that owned, requested or held the dataset (lower case): their attempts are listed."""
    return {
        str(e["args"][argument]).lower()
        for event, argument in KNOWN_ACCOUNTS
        for e in src.events("datasets", event, datasetId=dataset_id)
    }


def _summary_row(last: dict[str, Any], attempts: int, accounts: int) -> dict[str, Any]:
    return {
        **last,
        "event": "AccessLogged",
        "detail": (
            f"{attempts} denied attempts by {accounts} accounts that never requested "
            "or held access (self-reported, summarised; `--json` lists the accounts)"
        ),
    }


def _summary(src: TrailSource, last: Pending, attempts: int, accounts: int) -> Pending:
    summary = Pending(last.log, "AccessLogged", last.describe, last.extra)
    summary.ready = _summary_row(last.row(src), attempts, accounts)
    return summary


def _strangers_from_summary(
    src: TrailSource, summary: StrangerSummary, rows: list[Pending]
) -> dict[str, Any]:
    """What _summarise_strangers makes, counted by the index in SQL; the summary row goes into `rows`."""
    attempts, accounts, last = summary
    if last is not None:
        rows.append(
            _summary(
                src, Pending(last, "AccessLogged", lambda a: "", _attempt_fields), attempts, len(accounts)
            )
        )
    return {"attempts": attempts, "accounts": sorted(accounts)}


def _summarise_strangers(
    src: TrailSource, rows: list[Pending], known: set[str]
) -> tuple[list[Pending], dict[str, Any]]:
    """Denied attempts by accounts that never owned, requested or held the dataset, out of the trail and
    into one summary row: anyone may log, so such entries say nothing about the dataset's use."""
    stranger_rows, kept = [], []
    for p in rows:
        row = p.row(src) if p.event == "AccessLogged" else None
        if row is not None and not row["allowed"] and str(row.get("account", "")).lower() not in known:
            stranger_rows.append(p)
        else:
            kept.append(p)
    accounts = sorted({str(p.row(src)["account"]) for p in stranger_rows})
    summary = {"attempts": len(stranger_rows), "accounts": accounts}
    if stranger_rows:
        last = max(stranger_rows, key=lambda p: (p.block, p.log_index))
        kept.append(_summary(src, last, len(stranger_rows), len(accounts)))
    return kept, summary


def trail_table(
    trail: list[dict[str, Any]],
    flags: Sequence[dict[str, Any]] = (),
    limit: int | None = None,
    size: dict[str, Any] | None = None,
) -> str:
    """The trail as a text table; with `limit`, only the newest `limit` rows, after a count of every
    event kind and a line saying how many rows are left out and where to read them all. `size` is the
    `trailSize` of a trail written out only in part (dataset_trail's `newest`): the counts of all rows."""
    shown = trail if limit is None or limit <= 0 or len(trail) <= limit else trail[-limit:]
    total = len(trail) if size is None else int(size["events"])
    lines = []
    if len(shown) < total:
        counts = Counter(row["event"] for row in trail) if size is None else Counter(size["byEvent"])
        lines.append(f"{total} events: " + ", ".join(f"{n} {event}" for event, n in sorted(counts.items())))
        lines.append(
            f"... {total - len(shown)} earlier events not shown: `--rows 0` prints all, "
            "`--format json` or `--format csv` carries every event"
        )
    lines.append(f"{'when':<21} {'block':>6}  {'event':<18} detail")
    for row in shown:
        lines.append(f"{row['when']:<21} {row['block']:>6}  {row['event']:<18} {row['detail']}")
    lines += [f"FLAG: {flag['message']}" for flag in flags]
    return "\n".join(lines)
