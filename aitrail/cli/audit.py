"""`aitrail audit dataset|model`: the whole trail, rebuilt from chain events."""

from __future__ import annotations

import click

from aitrail.cli._params import DATASET_ID
from aitrail.cli.context import CliContext
from aitrail.flows import dataset_trail, model_trail, trail_table


@click.group()
def audit() -> None:
    """Rebuild the trail of a dataset or a model from chain events alone."""


@audit.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.pass_obj
def dataset(ctx: CliContext, dataset_id: int) -> None:
    """Registration, versions, requests, grants, revocations, every access attempt, models, rewards."""
    r = dataset_trail(ctx.session, dataset_id)
    head = f"dataset {dataset_id}, owner {r['owner']}" + (" (WITHDRAWN)" if r["withdrawn"] else "")
    ctx.emit(r, head + "\n" + trail_table(r["trail"], r["flags"]))


@audit.command()
@click.argument("reference")
@click.pass_obj
def model(ctx: CliContext, reference: str) -> None:
    """Registration, versions, datasets cited, parents, deprecations, aliases, rewards paid."""
    r = model_trail(ctx.session, reference)
    head = f"model {r['model']!r} (id {r['modelId']}), owner {r['owner']}"
    ctx.emit(r, head + "\n" + trail_table(r["trail"], r["flags"]))
