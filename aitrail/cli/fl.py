"""`aitrail fl show|verify|claim|close|publish|node|run|demo`: federated training rounds on the trail.

flwr and numpy are imported inside the commands, never when the CLI starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aitrail.cli._util import table
from aitrail.cli.context import CliContext, prompt_password
from aitrail.errors import AitrailError
from aitrail.flows._common import tokens

if TYPE_CHECKING:
    from aitrail.fl.audit import TaskReport
    from aitrail.flows.session import Session

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


def _keyed_session(ctx: CliContext, password_stdin: bool) -> Session:
    """The command's session; with --password-stdin the keystore's password is the first line of standard
    input, so a launcher can hand it over a pipe (never the environment, a file or argv)."""
    import sys

    from aitrail.flows.session import Session

    password: str | None = None
    if password_stdin:
        password = (sys.stdin.readline() if sys.stdin is not None else "").rstrip("\r\n")
        if not password:
            raise click.BadParameter("standard input holds no password", param_hint="--password-stdin")

    def from_stdin(name: str, _confirm: bool) -> str:
        if password is None:
            return prompt_password(name, _confirm)
        return password

    session = Session.open(
        ctx.settings,
        ctx.account,
        store=ctx.store,
        ipfs_api=ctx.ipfs_api,
        prompt=from_stdin,
        tx_timeout=ctx.timeout,
    )
    session.require_signer()
    ctx.__dict__["session"] = session  # what emit() saves is this session's chain
    return session


SUPERLINK = click.option(
    "--superlink", required=True, metavar="HOST:PORT", help="The SuperLink's address (Fleet and Control API)."
)
ROOT_CERTIFICATES = click.option(
    "--root-certificates",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM CA bundle of a TLS SuperLink (default: --insecure, plain HTTP, for 127.0.0.1).",
)
PASSWORD_STDIN = click.option(
    "--password-stdin", is_flag=True, help="Read the account's keystore password from standard input."
)


@fl.command()
@SUPERLINK
@click.option(
    "--data",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Your training data (CSV: feature columns, then the 0/1 label), kept on this machine.",
)
@ROOT_CERTIFICATES
@PASSWORD_STDIN
@click.option("--byzantine", is_flag=True, hidden=True, help="Demo fault injection: send poisoned updates.")
@click.pass_obj
def node(
    ctx: CliContext,
    superlink: str,
    data: Path,
    root_certificates: Path | None,
    password_stdin: bool,
    byzantine: bool,
) -> None:
    """Serve as a participant's SuperNode until stopped (SIGTERM or Ctrl-C). Your key stays in this process
    (a signing agent); the ClientApp Flower starts each round asks it to commit your update."""
    import signal
    import threading

    from aitrail.fl.deployment import SuperNode

    session = _keyed_session(ctx, password_stdin)
    supernode = SuperNode.start(
        session, superlink, data, byzantine=byzantine, root_certificates=root_certificates
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        click.echo(
            f"SuperNode of {session.address} connected to {superlink} "
            f"(flower-supernode pid {supernode.process.pid}, log {session.home / 'flwr' / 'supernode.log'})"
        )
        while not stop.wait(0.5):
            if supernode.process.poll() is not None:
                raise AitrailError(
                    f"flower-supernode exited with code {supernode.process.returncode} "
                    f"(log {session.home / 'flwr' / 'supernode.log'})"
                )
    finally:
        supernode.stop()
    click.echo("SuperNode stopped")


@fl.command(name="run")
@click.argument("task_id", type=TASK_ID)
@SUPERLINK
@ROOT_CERTIFICATES
@PASSWORD_STDIN
@click.pass_obj
def run_(
    ctx: CliContext, task_id: int, superlink: str, root_certificates: Path | None, password_stdin: bool
) -> None:
    """Run TASK_ID as its coordinator on Flower's deployment engine (`flwr run` to the SuperLink, which
    must be on this machine: its ServerApp asks this process's agent to sign). Re-running a task that
    stopped continues from the last round aggregated on-chain."""
    import sys

    from aitrail.fl.deployment import run_task

    session = _keyed_session(ctx, password_stdin)
    stream = None if ctx.as_json else sys.stdout.buffer
    r = run_task(session, task_id, superlink, root_certificates=root_certificates, stream=stream)
    ctx.emit(r, f"task {r.task}: {r.aggregated}/{r.rounds} rounds aggregated on-chain ({r.seconds:.1f} s)")


@fl.command()
@click.option("--rounds", type=click.IntRange(1, 50), default=5, show_default=True)
@click.option("--rule", default="MultiKrum f=1 keep=4", show_default=True, help="The robust rule.")
@click.option(
    "--engine",
    type=click.Choice(["inprocess", "deployment"]),
    default="inprocess",
    show_default=True,
    help="inprocess: Flower's clients and strategy driven in this process; deployment: Flower's SuperLink "
    "and one SuperNode per hospital as separate processes on 127.0.0.1 (slower: see the README).",
)
@click.pass_obj
def demo(ctx: CliContext, rounds: int, rule: str, engine: str) -> None:
    """Five hospitals, one Byzantine: FedAvg against a robust rule, on a fresh local chain."""
    from aitrail.fl.demo import main

    main(rounds=rounds, rule=rule, echo=click.echo, engine=engine)
