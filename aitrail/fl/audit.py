"""`aitrail fl show TASK` and `aitrail fl verify TASK`, from the chain and IPFS alone.

verify, per aggregated round: every committed update is fetched by its on-chain CID and decrypted with the
data key the coordinator's round manifest reveals; its bytes must match the on-chain digest and be bound to
its committer, the task and the round. The valid updates, in participant index order, go through the same
Flower strategy the task's rule names, and the output, encoded as aitrail.fl.encoding lays it out, must
hash to the aggregate digest on-chain — bit for bit (same Flower and numpy versions recompute the same
floating-point operations in the same order). The included set the rule yields must equal the on-chain
mask, and an update that fails its checks must not be in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aitrail.cid import CID
from aitrail.errors import AitrailError
from aitrail.fl import encoding, rules
from aitrail.fl.recording import UpdateCheck, check_update, committed_updates, fl_client, open_envelope
from aitrail.flows._common import read_json, read_published

if TYPE_CHECKING:
    from aitrail.flows.session import Session


@dataclass
class RoundReport:
    round: int
    aggregate_digest: str
    manifest: str
    included: list[str]
    excluded: list[str]
    reward_each: int
    problems: list[str] = field(default_factory=list)
    # Updates that fail their checks (participant, why): correctly excluded ones are not problems.
    invalid: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class TaskReport:
    task: int
    rule: str
    coordinator: str
    model_id: int
    rounds: int
    aggregated: int
    closed: bool
    pool: int
    credited: int
    participants: list[dict[str, Any]]
    round_reports: list[RoundReport]

    @property
    def ok(self) -> bool:
        return all(not r.problems for r in self.round_reports)


def _task_header(session: Session, task_id: int) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    contract = fl_client(session)
    task = contract.task(task_id)
    (created,) = contract.events("TaskCreated", taskId=task_id)
    participants = []
    for event in contract.events("ParticipantAdded", taskId=task_id):
        who = str(event["args"]["participant"])
        entry = contract.participant(task_id, who)
        claimed = sum(
            int(e["args"]["amount"])
            for e in contract.events("RewardClaimed", taskId=task_id, participant=who)
        )
        participants.append(
            {
                "index": int(event["args"]["index"]),
                "participant": who,
                "dataset": int(event["args"]["datasetId"]),
                "earned": entry["earned"] + claimed,
                "claimed": claimed,
            }
        )
    return task, str(created["args"]["rule"]), participants


def show(session: Session, task_id: int) -> TaskReport:
    return _report(session, task_id, check=False)


def verify(session: Session, task_id: int) -> TaskReport:
    return _report(session, task_id, check=True)


def _report(session: Session, task_id: int, check: bool) -> TaskReport:
    contract = fl_client(session)
    task, rule_text, participants = _task_header(session, task_id)
    by_index = {p["index"]: p["participant"] for p in participants}
    reports = []
    for event in contract.events("AggregateCommitted", taskId=task_id):
        args = event["args"]
        round_ = int(args["round"])
        committed, included_mask = int(args["committedMask"]), int(args["includedMask"])
        digest_, kind = args["cid"]["digest"], args["cid"]["kind"]
        manifest_cid = CID.from_onchain(bytes(digest_), int(kind))
        bits = [i for i in sorted(by_index) if committed >> (i - 1) & 1]
        report = RoundReport(
            round_,
            "0x" + bytes(args["digest"]).hex(),
            str(manifest_cid),
            [by_index[i] for i in bits if included_mask >> (i - 1) & 1],
            [by_index[i] for i in bits if not included_mask >> (i - 1) & 1],
            int(args["rewardEach"]),
        )
        if check:
            report.problems, report.invalid = _check_round(
                session,
                task_id,
                round_,
                rules.parse(rule_text),
                manifest_cid,
                bytes(args["digest"]),
                included_mask,
            )
        reports.append(report)
    return TaskReport(
        task_id,
        rule_text,
        str(task["coordinator"]),
        int(task["modelId"]),
        int(task["rounds"]),
        int(task["aggregatedRounds"]),
        bool(task["closed"]),
        int(task["pool"]),
        int(task["credited"]),
        participants,
        reports,
    )


def _check_round(
    session: Session,
    task_id: int,
    round_: int,
    rule: rules.Rule,
    manifest_cid: CID,
    aggregate_digest: bytes,
    included_mask: int,
) -> tuple[list[str], list[tuple[str, str]]]:
    problems: list[str] = []
    updates: list[UpdateCheck] = []
    problems = _recompute(
        session, task_id, round_, rule, manifest_cid, aggregate_digest, included_mask, updates
    )
    return problems, [(u.participant, u.problem) for u in updates if u.problem]


def _recompute(
    session: Session,
    task_id: int,
    round_: int,
    rule: rules.Rule,
    manifest_cid: CID,
    aggregate_digest: bytes,
    included_mask: int,
    updates: list[UpdateCheck],
) -> list[str]:
    store = session.store
    contract = fl_client(session)
    problems: list[str] = []
    try:
        manifest = read_json(store, manifest_cid, f"the round-{round_} manifest")
    except AitrailError as exc:
        return [f"round {round_}: {exc}"]
    keys = {int(u["index"]): u.get("dataKey") for u in manifest.get("updates", [])}
    updates.extend(committed_updates(contract, task_id, round_))
    for update in updates:
        key = keys.get(update.index)
        if not key:
            update.problem = "the manifest reveals no data key for it"
            continue
        try:
            data = open_envelope(read_published(store, update.cid, "the update"), data_key=bytes.fromhex(key))
        except (AitrailError, ValueError) as exc:
            update.problem = f"it cannot be fetched or decrypted ({exc})"
            continue
        check_update(update, data, task_id, round_)
    for update in updates:
        if update.problem and included_mask >> (update.index - 1) & 1:
            problems.append(
                f"round {round_}: the update of {update.participant} is included but {update.problem}"
            )
    valid = [u for u in updates if u.problem is None]
    if not valid:
        return [*problems, f"round {round_}: no valid update to recompute the aggregate from"]
    pairs = [(list(u.arrays or []), u.num_examples) for u in valid]
    try:
        output = rules.aggregate(rule, round_, pairs)
        included = [valid[i].index for i in rules.included_positions(rule, pairs, output)]
    except (AitrailError, ValueError) as exc:
        return [*problems, f"round {round_}: {rule} cannot be recomputed ({exc})"]
    header = encoding.header_for(
        "aggregate",
        task_id,
        round_,
        str(fl_client(session).task(task_id)["coordinator"]),
        sum(u.num_examples for u in valid if u.index in included),
        output,
    )
    recomputed = encoding.digest(encoding.encode(header, output))
    if recomputed != aggregate_digest:
        problems.append(
            f"round {round_}: the aggregate digest on-chain is not {rule} of the committed updates "
            f"(recomputed 0x{recomputed.hex()}, on-chain 0x{aggregate_digest.hex()})"
        )
    if sum(1 << (i - 1) for i in included) != included_mask:
        problems.append(
            f"round {round_}: {rule} includes participants {included}, the chain records "
            f"{[i for i in range(1, 257) if included_mask >> (i - 1) & 1]}"
        )
    try:
        published = read_published(store, CID.decode(str(manifest["aggregate"])), "the aggregate")
        if encoding.digest(published) != aggregate_digest:
            problems.append(f"round {round_}: the aggregate on IPFS does not match its on-chain digest")
    except (AitrailError, KeyError) as exc:
        problems.append(f"round {round_}: the aggregate cannot be fetched ({exc})")
    return problems
