"""`aitrail dataset register|list|show|withdraw|withdraw-records|fetch|verify`: the data owner's
datasets (and their versions), the researcher's fetch."""

from __future__ import annotations

from pathlib import Path

import click

from aitrail.cli._params import DATASET_ID, PREDECESSOR
from aitrail.cli._util import table, to_address
from aitrail.cli.context import CliContext
from aitrail.errors import ConfigError
from aitrail.flows import (
    describe,
    fetch_dataset,
    list_datasets,
    register_dataset,
    verify_copy,
    withdraw_dataset,
    withdraw_records,
)
from aitrail.flows._common import day, when


@click.group()
def dataset() -> None:
    """Register, list, show, withdraw and fetch datasets."""


@dataset.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="Dataset name (metadata).")
@click.option(
    "--license",
    "license_",
    required=True,
    envvar="AITRAIL_DATASET_REGISTER_LICENSE",
    help="License, e.g. CC-BY-4.0 (metadata).",
)
@click.option("--description", default="", help="Free text (metadata).")
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
    name: str,
    license_: str,
    description: str,
    consent: tuple[str, ...],
    predecessor: int,
    cid_version: str,
) -> None:
    """Hash PATH, encrypt it with a fresh key, store it, and register it on-chain."""
    terms = {}
    for item in consent:
        purpose, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--consent {item!r}: expected PURPOSE=VALUE, e.g. aiTraining=allowed")
        terms[purpose] = value
    r = register_dataset(
        ctx.session,
        path,
        name=name,
        license=license_,
        description=description,
        consent=terms or None,
        predecessor=predecessor,
        cid_version=int(cid_version),
    )
    note = (
        " (already registered)"
        if r.already_registered
        else (" (reused the earlier upload)" if r.reused_upload else "")
    )
    ctx.emit(
        {
            "id": r.dataset_id,
            "cid": str(r.cid),
            "metadataCid": str(r.metadata_cid),
            "contentHash": "0x" + r.content_hash.hex(),
            "records": r.records_count,
            "tx": r.tx_hash,
            "reusedUpload": r.reused_upload,
            "alreadyRegistered": r.already_registered,
        },
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
