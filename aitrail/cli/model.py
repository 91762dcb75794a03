"""`aitrail model publish|verify|card|lineage`."""

from __future__ import annotations

from pathlib import Path

import click

from aitrail.cli._params import DATASET_ID, VERSION_ID
from aitrail.cli._util import table
from aitrail.cli.context import CliContext
from aitrail.flows import lineage as lineage_flow
from aitrail.flows import publish_model, verify_model
from aitrail.flows._common import when


@click.group()
def model() -> None:
    """Publish model versions with their lineage, verify weights, read lineage, write model cards."""


@model.command()
@click.argument("name")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--dataset",
    "datasets",
    type=DATASET_ID,
    multiple=True,
    envvar="AITRAIL_MODEL_PUBLISH_DATASET",
    help="Dataset id trained on (repeatable; the env var takes ids separated by spaces).",
)
@click.option(
    "--parent",
    "parents",
    type=VERSION_ID,
    multiple=True,
    envvar="AITRAIL_MODEL_PUBLISH_PARENT",
    help="Parent version id (repeatable).",
)
@click.option("--metrics", type=click.Path(path_type=Path), help="JSON file of metrics for the metadata.")
@click.option(
    "--signature",
    type=click.Path(path_type=Path),
    help="An OpenSSF model-signing bundle for PATH (elliptic-key signed), checked before publishing.",
)
@click.option(
    "--signer-key",
    type=click.Path(path_type=Path),
    help="The signer's public key (PEM) the --signature must verify with; recorded in the metadata.",
)
@click.pass_obj
def publish(
    ctx: CliContext,
    name: str,
    path: Path,
    datasets: tuple[int, ...],
    parents: tuple[int, ...],
    metrics: Path | None,
    signature: Path | None,
    signer_key: Path | None,
) -> None:
    """Publish PATH (file or directory) as the next version of model NAME."""
    if (signature is None) != (signer_key is None):
        raise click.UsageError("--signature and --signer-key go together")
    signed = (signature, signer_key) if signature is not None and signer_key is not None else None
    r = publish_model(ctx.session, name, path, list(datasets), list(parents), metrics, signature=signed)
    ctx.emit(
        r,
        f"model {name!r} version {r['number']} (id {r['versionId']})\n  weights      {r['weightsDigest']}\n"
        f"  artifact     {r['artifact']}\n  metadata     {r['metadata']}\n  transaction  {r['tx']}",
    )


@model.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_obj
def verify(ctx: CliContext, path: Path) -> None:
    """Is PATH a published version? Of which model, trained on what?"""
    r = verify_model(ctx.session, path)
    ctx.emit(
        r,
        f"{path}: model {r['model']!r} version {r['number']} (id {r['versionId']}) by {r['owner']}, "
        f"published {when(r['publishedAt'])}, datasets {r['datasets'] or 'none'}"
        + (" [DEPRECATED]" if r["deprecated"] else ""),
    )


@model.command()
@click.argument("reference")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write (README.md)."
)
@click.pass_obj
def card(ctx: CliContext, reference: str, output: Path) -> None:
    """Write a Hugging Face model card for REFERENCE (NAME@VERSION; the latest without @) from the chain."""
    from aitrail._files import write_private
    from aitrail.flows.formats import model_card_of

    text = model_card_of(ctx.session, reference)
    write_private(output, text)
    ctx.emit({"model": reference, "path": str(output)}, f"model card for {reference} → {output}")


@model.command()
@click.argument("reference")
@click.pass_obj
def lineage(ctx: CliContext, reference: str) -> None:
    """Versions of a model (NAME, OWNER/NAME or #ID, optionally @VERSION) with datasets, parents, children."""
    r = lineage_flow(ctx.session, reference)
    rows = [
        (
            v["number"],
            v["versionId"],
            ",".join(map(str, v["datasets"])) or "-",
            ",".join(map(str, v["parents"])) or "-",
            ",".join(map(str, v["children"])) or "-",
            v["weightsDigest"][:18] + "…",
        )
        for v in r["versions"]
    ]
    ctx.emit(
        r,
        f"model {r['model']!r} (id {r['modelId']}) owned by {r['owner']}\n"
        + table(["version", "id", "datasets", "parents", "children", "weights"], rows),
    )
