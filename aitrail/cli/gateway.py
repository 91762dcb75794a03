"""`aitrail gateway serve|announce|add|remove`: the access gateway, and handing datasets to one."""

from __future__ import annotations

import click

from aitrail.cli._params import DATASET_ID
from aitrail.cli._util import to_address
from aitrail.cli.context import CliContext


@click.group()
def gateway() -> None:
    """Serve datasets through a gateway that checks and records every attempt on-chain."""


@gateway.command()
@click.pass_obj
def announce(ctx: CliContext) -> None:
    """Publish this account's public key as a gateway's (owners wrap data keys for it)."""
    from aitrail.flows.gateway import publish_gateway_key

    tx = publish_gateway_key(ctx.session)
    ctx.emit(
        {"gateway": ctx.session.address, "tx": tx},
        f"gateway key of {ctx.session.address} " + (f"published in {tx}" if tx else "already published"),
    )


@gateway.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8700, show_default=True)
@click.option(
    "--domain", help="The host:port researchers reach this gateway by (SIWE domain; default HOST:PORT)."
)
@click.option(
    "--streams",
    type=click.IntRange(1, 1024),
    default=64,
    show_default=True,
    help="Transfers at once; more wait their turn.",
)
@click.option(
    "--rate",
    type=click.FloatRange(0.01),
    default=5.0,
    show_default=True,
    help="Data requests per second per researcher (after a burst of --burst).",
)
@click.option("--burst", type=click.IntRange(1), default=10, show_default=True)
@click.option(
    "--denials-per-minute",
    type=click.IntRange(1),
    default=60,
    show_default=True,
    help="Denied requests recorded on-chain per minute, gateway-wide (each costs gas); more get 429.",
)
@click.option(
    "--stream-rate",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Bytes per second per transfer (0: unlimited).",
)
@click.pass_obj
def serve(
    ctx: CliContext,
    host: str,
    port: int,
    domain: str | None,
    streams: int,
    rate: float,
    burst: int,
    denials_per_minute: int,
    stream_rate: int,
) -> None:
    """Serve the datasets handed to this account until interrupted (publishes its key first if needed)."""
    from aitrail.flows.gateway import publish_gateway_key
    from aitrail.gateway.server import Gateway, Limits
    from aitrail.gateway.server import serve as run

    session = ctx.session
    publish_gateway_key(session)
    limits = Limits(
        streams=streams,
        rate=rate,
        burst=burst,
        stream_rate=stream_rate,
        denials_per_minute=denials_per_minute,
    )
    gw = Gateway(session, domain or f"{host}:{port}", session.home, limits)
    run(gw, host, port, ready=lambda line: click.echo(line, err=True))


@gateway.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.option("--gateway", "gateway_address", required=True, help="The gateway's account address.")
@click.pass_obj
def add(ctx: CliContext, dataset_id: int, gateway_address: str) -> None:
    """Hand a dataset to a gateway: its data key wrapped for the gateway, the gateway authorised on-chain."""
    from aitrail.flows.gateway import add_gateway

    r = add_gateway(ctx.session, dataset_id, to_address(ctx, gateway_address))
    ctx.emit(
        {"id": dataset_id, "gateway": r.gateway, "keyRef": "0x" + r.key_ref.hex(), "tx": r.tx_hash},
        f"dataset {dataset_id} handed to gateway {r.gateway} (tx {r.tx_hash})",
    )


@gateway.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.option("--gateway", "gateway_address", required=True, help="The gateway's account address.")
@click.pass_obj
def remove(ctx: CliContext, dataset_id: int, gateway_address: str) -> None:
    """Withdraw a gateway's authorisation for a dataset (it can record nothing more for it)."""
    from aitrail.flows.gateway import remove_gateway

    tx = remove_gateway(ctx.session, dataset_id, to_address(ctx, gateway_address))
    ctx.emit(
        {"id": dataset_id, "gateway": gateway_address, "tx": tx},
        f"gateway {gateway_address} removed from dataset {dataset_id} (tx {tx})",
    )
