"""`aitrail records prove|verify`: one record's membership in a dataset version, checked on-chain."""

from __future__ import annotations

import json
from pathlib import Path

import click

from aitrail import records as rec
from aitrail.cli._params import DATASET_ID
from aitrail.cli.context import CliContext
from aitrail.flows import prove_record, verify_record_proof
from aitrail.flows._common import when


@click.group()
def records() -> None:
    """Prove that a record is in a dataset version, and verify such proofs on-chain."""


@records.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.argument("record")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write the proof here (default: print it).",
)
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    help="Build the tree from this copy of the data (e.g. a fetched copy); it must match the chain.",
)
@click.pass_obj
def prove(ctx: CliContext, dataset_id: int, record: str, output: Path | None, source: Path | None) -> None:
    """Write the Merkle proof that RECORD (its id) is in DATASET_ID.

    The tree comes from --from FILE, else the tree saved when this machine registered the dataset,
    else (for its owner) the stored data decrypted with the owner's key.
    """
    doc = prove_record(ctx.session, dataset_id, record, source)
    if output is None:
        click.echo(json.dumps(doc, indent=2))
        return
    rec.write_proof(doc, output)
    ctx.emit(
        {"proof": str(output), **doc},
        f"proof of record {doc['recordId']!r} in dataset {dataset_id} (version {doc['version']}, "
        f"{len(doc['proof'])} hashes) → {output}",
    )


@records.command()
@click.argument("proof", type=click.Path(path_type=Path))
@click.pass_obj
def verify(ctx: CliContext, proof: Path) -> None:
    """Check PROOF on-chain (verifyRecord); say which dataset version and model versions it reaches.

    A proof the chain does not accept is one error line and exit status 1.
    """
    r = verify_record_proof(ctx.session, proof)
    lines = [
        f"VERIFIED on-chain: record {r['recordId']!r} (consent {r['consent']}) is in dataset "
        f"{r['datasetId']} (version {r['version']}"
        + (f" of dataset {r['history'][-1]})" if r["version"] > 1 else ")")
        + (" (dataset since withdrawn)" if r["datasetWithdrawn"] else ""),
        f"  root         {r['root']} ({r['count']} records)",
    ]
    for w in r["withdrawnIn"]:
        lines.append(f"  withdrawn    from version {w['datasetId']} on {w['when']} (consent withdrawn)")
    if not r["models"]:
        lines.append("  models       none cite this dataset version")
    for m in r["models"]:
        flag = "  ← published after the record was withdrawn" if m["afterWithdrawal"] else ""
        lines.append(
            f"  model        {m['model']!r} version {m['number']} (id {m['versionId']}), "
            f"published {when(m['publishedAt'])}{flag}"
        )
    ctx.emit(r, "\n".join(lines))
