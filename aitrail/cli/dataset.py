"""`aitrail dataset register|list|show|croissant|withdraw|withdraw-records|fetch|verify`: the data owner's
datasets (and their versions), the researcher's fetch."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from aitrail.cli._params import DATASET_ID, PREDECESSOR
from aitrail.cli._util import table, to_address
from aitrail.cli.context import CliContext
from aitrail.flows import (
    describe,
    fetch_dataset,
    list_datasets,
    register_dataset,
    verify_copy,
    withdraw_dataset,
)
from aitrail.flows._common import day, when


@click.group()
def dataset() -> None:
    """Register, list, show, withdraw and fetch datasets; export them as Croissant."""


@dataset.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", help="Dataset name (metadata; required unless --croissant gives one).")
@click.option(
    "--license",
    "license_",
    envvar="AITRAIL_DATASET_REGISTER_LICENSE",
    help="License, e.g. CC-BY-4.0 (metadata; required unless --croissant gives one).",
)
@click.option("--description", help="Free text (metadata).")
@click.option(
    "--croissant",
    "croissant_file",
    type=click.Path(path_type=Path),
    help="A Croissant 1.x document describing PATH: name, description, license, consent (CAWG "
    "training-mining), RAI fields, keywords and record sets are taken from it; options given override it.",
)
@click.option(
    "--consent",
    multiple=True,
    metavar="PURPOSE=VALUE",
    help="ERC-7517 terms, e.g. aiTraining=allowed (repeatable; default aiTraining=allowed).",
)
@click.option(
    "--predecessor", type=PREDECESSOR, default=0, help="Register as a new version of this dataset id."
)
@click.option("--cid-version", type=click.Choice(["0", "1"]), default="0", show_default=True)
@click.pass_obj
def register(
    ctx: CliContext,
    path: Path,
    name: str | None,
    license_: str | None,
    description: str | None,
    croissant_file: Path | None,
    consent: tuple[str, ...],
    predecessor: int,
    cid_version: str,
) -> None:
    """Hash PATH, encrypt it with a fresh key, store it, and register it on-chain."""
    terms: dict[str, str] = {}
    extra: dict[str, Any] | None = None
    if croissant_file is not None:
        from aitrail.flows.formats import read_croissant

        imported = read_croissant(croissant_file, path)
        name, license_ = name or imported.name, license_ or imported.license
        description = description if description is not None else imported.description
        terms, extra = dict(imported.consent), imported.extra_metadata
    for item in consent:
        purpose, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected PURPOSE=VALUE, e.g. aiTraining=allowed",
                                     param_hint="'--consent'")
        terms[purpose] = value
    for option, given in (("--name", name), ("--license", license_)):
        if not given:
            raise click.UsageError(f"Missing option '{option}' (or a --croissant document that gives it)")
    assert name is not None and license_ is not None
    r = register_dataset(
        ctx.session,
        path,
        name=name,
        license=license_,
        description=description or "",
        consent=terms or None,
        predecessor=predecessor,
        cid_version=int(cid_version),
        extra_metadata=extra,
    )
    note = (
        " (already registered)"
        if r.already_registered
        else (" (reused the earlier upload)" if r.reused_upload else "")
    )
    ctx.emit(
        r,
        f"dataset {r.dataset_id}{note}\n  cid          {r.cid}\n  metadata     {r.metadata_cid}\n"
        f"  sha256       0x{r.content_hash.hex()}\n  records      {r.records_count}\n"
        f"  transaction  {r.tx_hash}",
    )


@dataset.command("list")
@click.option("--owner", help="Only datasets of this owner (address or account name).")
@click.pass_obj
def list_(ctx: CliContext, owner: str | None) -> None:
    """Registered datasets."""
    rows = list_datasets(ctx.session, to_address(ctx, owner) if owner else None)
    ctx.emit(
        rows,
        table(
            ["id", "name", "owner", "registered", "status"],
            [
                (
                    r["id"],
                    r["name"] or "?",
                    r["owner"],
                    day(r["registeredAt"]),
                    "withdrawn" if r["withdrawn"] else "active",
                )
                for r in rows
            ],
        ),
    )


@dataset.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.pass_obj
def show(ctx: CliContext, dataset_id: int) -> None:
    """One dataset: owner, hashes, CIDs, records, status."""
    d = describe(ctx.session, dataset_id)
    status = f"withdrawn on {when(d['withdrawnAt'])}" if d["withdrawn"] else "active"
    lines = [
        f"dataset {d['id']}: {d['name']}",
        f"  owner        {d['owner']}",
        f"  license      {d['license']}",
        f"  file         {d['file']} ({d['size']} bytes)",
        f"  sha256       {d['contentHash']}",
        f"  cid          {d['cid']}",
        f"  metadata     {d['metadataCid']}",
        f"  records      {d['recordsCount']} (root {d['recordsRoot']})",
        f"  registered   {when(d['registeredAt'])} in {d['registeredIn']}",
        f"  status       {status}",
    ]
    if d["predecessor"]:
        lines.append(f"  version of   dataset {d['predecessor']}")
    ctx.emit(d, "\n".join(lines))


@dataset.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write the document to."
)
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    help="A decrypted copy (e.g. from `dataset fetch`), checked against the on-chain sha256: the document "
    "then points at it (relative path) and a CSV's columns become its record set, so Croissant loaders "
    "read the records.",
)
@click.pass_obj
def croissant(ctx: CliContext, dataset_id: int, output: Path, data: Path | None) -> None:
    """Write DATASET_ID's MLCommons Croissant 1.1 (+RAI) document, from the chain and IPFS alone."""
    from aitrail._files import write_private
    from aitrail.flows.formats import croissant_document

    doc = croissant_document(ctx.session, dataset_id, data, output.parent)
    write_private(output, json.dumps(doc, indent=2) + "\n")
    ctx.emit(
        {"id": dataset_id, "path": str(output), "recordSets": len(doc.get("recordSet", []))},
        f"dataset {dataset_id} → {output} (Croissant 1.1)",
    )


@dataset.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.option("--reason", required=True, help="Why (stored; its digest goes on-chain).")
@click.pass_obj
def withdraw(ctx: CliContext, dataset_id: int, reason: str) -> None:
    """Withdraw a dataset: the record stays, every grant stops, no new grants."""
    tx = withdraw_dataset(ctx.session, dataset_id, reason)
    ctx.emit({"id": dataset_id, "tx": tx}, f"dataset {dataset_id} withdrawn in {tx}")


@dataset.command("withdraw-records")
@click.argument("dataset_id", type=DATASET_ID)
@click.argument("record_ids", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory for the reduced file (<name>.v<N><suffix>).",
)
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    help="The current version's file (default: decrypt it from the store with the owner's key).",
)
@click.pass_obj
def withdraw_records_(
    ctx: CliContext, dataset_id: int, record_ids: tuple[str, ...], out_dir: Path, source: Path | None
) -> None:
    """Consent withdrawn: publish a new version of DATASET_ID without RECORD_IDS.

    The reduced data is encrypted and stored as the new version's content, its records root
    registered, and the dropped records' leaf hashes put on record (RecordsWithdrawn). Model versions
    that cite the old version after this are flagged by `aitrail audit`.
    """
    from aitrail.flows.records import withdraw_records  # loads the Merkle code (numpy): only here

    r = withdraw_records(ctx.session, dataset_id, list(record_ids), out_dir, source)
    ctx.emit(
        r,
        f"dataset {r['id']}: new version of dataset {dataset_id} without {r['withdrawn']} record(s)"
        + (" (already registered)" if r["alreadyRegistered"] else "")
        + f"\n  records      {r['records']} (root {r['root']})\n  cid          {r['cid']}\n"
        f"  file         {r['path']}\n  transaction  {r['tx']}",
    )


@dataset.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.option(
    "-o",
    "--output",
    "out_dir",
    envvar="AITRAIL_DATASET_FETCH_OUTPUT",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to write the file into.",
)
@click.option("--gateway", "gateway_url", metavar="URL",
              help="Fetch through this access gateway (SIWE sign-in; resumes after a cut).")
@click.pass_obj
def fetch(ctx: CliContext, dataset_id: int, out_dir: Path, gateway_url: str | None) -> None:
    """Log the attempt on-chain, then fetch, decrypt, verify against the on-chain hash, write atomically."""
    if gateway_url:
        from aitrail.gateway.client import fetch_via_gateway

        g = fetch_via_gateway(ctx.session, dataset_id, gateway_url, out_dir,
                              log=lambda line: click.echo(line, err=True))
        r = g.result
        ctx.emit(
            {"id": dataset_id, "path": str(r.path), "size": r.size, "sha256": "0x" + r.sha256.hex(),
             "gateway": gateway_url, "attempts": g.attempts, "resumedAt": g.resumed_at,
             "recordTxs": g.record_txs},
            f"dataset {dataset_id} → {r.path} ({r.size} bytes via the gateway, sha256 verified against the "
            "chain)",
        )
        return
    r = fetch_dataset(ctx.session, dataset_id, out_dir)
    ctx.emit(
        {"id": dataset_id, "path": str(r.path), "size": r.size, "sha256": "0x" + r.sha256.hex()},
        f"dataset {dataset_id} → {r.path} ({r.size} bytes, sha256 verified against the chain)",
    )


@dataset.command()
@click.argument("dataset_id", type=DATASET_ID)
@click.argument("path", type=click.Path(path_type=Path))
@click.pass_obj
def verify(ctx: CliContext, dataset_id: int, path: Path) -> None:
    """Check a local copy against the dataset's content hash on-chain (exit 1 if it differs)."""
    r = verify_copy(ctx.session, dataset_id, path)
    verdict = "intact" if r["intact"] else f"TAMPERED: sha256 {r['actual']}, the chain says {r['expected']}"
    ctx.emit(r, f"{path}: {verdict}")
    if not r["intact"]:
        raise SystemExit(1)
