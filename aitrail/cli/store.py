"""`aitrail store ...`: the content store itself (embedded local store, or a Kubo node with --store kubo).

CAR export/import is how anything in the embedded store reaches a real IPFS node or a pinning service
(`ipfs dag import FILE.car`) with the same CIDs. Only `gc` touches the chain: it reads what this
deployment references before it calls anything an orphan.
"""

from __future__ import annotations

import click

from aitrail.cid import CID
from aitrail.cli.context import CliContext
from aitrail.storage import Store, open_store


def _store(ctx: CliContext) -> Store:
    return open_store(ctx.store, home=ctx.settings.home, api_url=ctx.ipfs_api)


@click.group()
def store() -> None:
    """The content store: add, list pins, export and import CAR files."""


@store.command("add")
@click.argument("path", type=click.Path(exists=True, dir_okay=True, path_type=str))
@click.option("--cid-version", type=click.Choice(["0", "1"]), default="0", show_default=True)
@click.pass_obj
def add(ctx: CliContext, path: str, cid_version: str) -> None:
    """Add and pin a file or directory as it is (no encryption: `dataset register` encrypts)."""
    cid = _store(ctx).add_path(path, int(cid_version))
    ctx.emit({"cid": str(cid), "path": path}, str(cid))


@store.command("pins")
@click.pass_obj
def pins(ctx: CliContext) -> None:
    """Recursively pinned roots."""
    roots = [str(cid) for cid in _store(ctx).pins()]
    ctx.emit(roots, "\n".join(roots) if roots else "(no pins)")


@store.command("export")
@click.argument("cid")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="CARv1 file to write (atomically).")
@click.pass_obj
def export(ctx: CliContext, cid: str, output: str) -> None:
    """Write the DAG under CID as a CARv1 file, every block verified on the way out."""
    count = _store(ctx).export_car(CID.decode(cid), output)
    ctx.emit({"cid": cid, "output": output, "blocks": count}, f"{output}: {count} blocks under {cid}")


@store.command("import")
@click.argument("car", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.pass_obj
def import_(ctx: CliContext, car: str) -> None:
    """Load a CARv1 file (every block re-hashed against its CID) and pin its roots."""
    roots = [str(cid) for cid in _store(ctx).import_car(car)]
    ctx.emit({"car": car, "roots": roots}, "\n".join(roots))


@store.command("gc")
@click.option("--yes", "--apply", "apply", is_flag=True, help="Delete the orphans (default: only list them).")
@click.pass_obj
def gc(ctx: CliContext, apply: bool) -> None:
    """List (or with --yes delete) stored roots that no upload journal and no dataset or model of this
    deployment references, each with its size: what a failed or interrupted register left behind."""
    from aitrail.flows.gc import collect_garbage

    report = collect_garbage(ctx.session, apply)
    orphans = report.plan.orphans
    verb = "deleted" if report.applied else "would delete (dry run; --yes to delete)"
    rows = [f"{o.cid}  {o.size} bytes{'' if o.pinned else '  (unpinned)'}" for o in orphans]
    ctx.emit(
        {
            "orphans": [{"cid": str(o.cid), "size": o.size, "pinned": o.pinned} for o in orphans],
            "bytes": report.plan.size,
            "applied": report.applied,
            "keptBlocks": report.plan.kept_blocks,
        },
        "\n".join([*rows, f"{len(orphans)} orphan(s), {report.plan.size} bytes: {verb}"])
        if orphans
        else f"no orphans ({report.plan.kept_blocks} blocks in use)",
    )
