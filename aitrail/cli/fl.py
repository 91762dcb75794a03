"""`aitrail fl show|verify|claim|close|publish|demo`: federated training rounds on the trail.

flwr and numpy are imported inside the commands, never when the CLI starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from aitrail.cli._util import table
from aitrail.cli.context import CliContext
from aitrail.errors import AitrailError
from aitrail.flows._common import tokens

if TYPE_CHECKING:
    from aitrail.fl.audit import TaskReport

TASK_ID = click.IntRange(min=1)


@click.group()
def fl() -> None:
    """Federated training on Flower: rounds, verification, rewards."""


def _render(report: TaskReport, verified: bool) -> str:
    lines = [
        f"task {report.task}: rule {report.rule}, coordinator {report.coordinator}, model {report.model_id}",
        f"  rounds {report.aggregated}/{report.rounds} aggregated{' (closed)' if report.closed else ''}; "
        f"pool {tokens(report.pool)}, credited {tokens(report.credited)}",
        table(
            ["#", "participant", "dataset", "earned", "claimed"],
            [
                (p["index"], p["participant"], p["dataset"], tokens(p["earned"]), tokens(p["claimed"]))
                for p in report.participants
            ],
        ),
    ]
    for r in report.round_reports:
        status = ("ok" if not r.problems else "FAILED") if verified else ""
        lines.append(
            f"round {r.round}: aggregate {r.aggregate_digest} manifest {r.manifest} {status}".rstrip()
        )
        lines.append(
            f"  included {', '.join(r.included) or '-'}; excluded {', '.join(r.excluded) or '-'}; "
            f"each included earned {tokens(r.reward_each)}"
        )
        lines += [f"  invalid update of {who}: {why}" for who, why in r.invalid]
        lines += [f"  problem: {p}" for p in r.problems]
    return "\n".join(lines)


def _as_data(report: TaskReport) -> dict[str, Any]:
    from dataclasses import asdict

    return {**asdict(report), "ok": report.ok}


@fl.command()
@click.argument("task_id", type=TASK_ID)
@click.pass_obj
def show(ctx: CliContext, task_id: int) -> None:
    """Rounds, participants, digests, included/excluded updates and rewards of TASK_ID."""
    from aitrail.fl import audit

    report = audit.show(ctx.session, task_id)
    ctx.emit(_as_data(report), _render(report, verified=False))


@fl.command()
@click.argument("task_id", type=TASK_ID)
@click.pass_obj
def verify(ctx: CliContext, task_id: int) -> None:
    """Fetch every committed update, check its digest and binding, recompute every round's aggregate with
    the task's Flower strategy and compare it bit for bit with the chain (exit 1 on any mismatch)."""
    from aitrail.fl import audit

    report = audit.verify(ctx.session, task_id)
    ctx.emit(_as_data(report), _render(report, verified=True))
    if not report.ok:
        problems = sum(len(r.problems) for r in report.round_reports)
        raise AitrailError(f"task {task_id} does not verify: {problems} problem(s), listed above")


@fl.command()
@click.argument("task_id", type=TASK_ID)
@click.pass_obj
def claim(ctx: CliContext, task_id: int) -> None:
    """Transfer what you earned in TASK_ID to you."""
    from aitrail.fl.recording import fl_client

    amount, receipt = fl_client(ctx.session).claim(task_id)
    tx = receipt["transactionHash"].to_0x_hex()
    ctx.emit({"task": task_id, "claimed": amount, "tx": tx}, f"claimed {tokens(amount)} (tx {tx})")


@fl.command()
@click.argument("task_id", type=TASK_ID)
@click.pass_obj
def close(ctx: CliContext, task_id: int) -> None:
    """Close TASK_ID (coordinator): what the rounds did not credit goes back to you."""
    from aitrail.fl.recording import fl_client

    contract = fl_client(ctx.session)
    receipt = contract.close(task_id)
    (event,) = contract.receipt_events(receipt, "TaskClosed")
    refund = int(event["args"]["refund"])
    ctx.emit({"task": task_id, "refund": refund}, f"task {task_id} closed; {tokens(refund)} refunded")


@fl.command()
@click.argument("task_id", type=TASK_ID)
@click.option("--name", help="The task's model name (checked; the version always goes to the task's model).")
@click.pass_obj
def publish(ctx: CliContext, task_id: int, name: str | None) -> None:
    """Publish TASK_ID's final aggregate as a version of its model, citing on-chain the dataset of every
    participant included in a round (coordinator, once every round is aggregated)."""
    from aitrail.fl.lineage import publish_final

    r = publish_final(ctx.session, task_id, name)
    ctx.emit(r, f"published {r['model']} version {r['number']} (id {r['versionId']}) from task {task_id}")


@fl.command()
@click.option("--rounds", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--rule", default="MultiKrum f=1 keep=4", show_default=True, help="The robust rule.")
@click.pass_obj
def demo(ctx: CliContext, rounds: int, rule: str) -> None:
    """Five hospitals, one Byzantine: FedAvg against a robust rule, on a fresh local chain."""
    from aitrail.fl.demo import main

    main(rounds=rounds, rule=rule, echo=click.echo)
