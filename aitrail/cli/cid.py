"""`aitrail cid PATH`: the CID `ipfs add` (or `ipfs add -r`) would give, computed locally."""

from __future__ import annotations

import click

from aitrail.cli.context import CliContext
from aitrail.progress import progress


@click.command("cid")
@click.argument("path", type=click.Path(dir_okay=True, file_okay=True, path_type=str))
@click.option("--cid-version", type=click.Choice(["0", "1"]), default="0", show_default=True,
              help="0: Kubo's default (Qm...); 1: raw leaves, base32 (b...), as `ipfs add --cid-version=1`.")
@click.option("--hidden", is_flag=True, help="Include hidden files of a directory (`ipfs add -r --hidden`).")
@click.option("--progress/--no-progress", "show", default=None, help="Progress bar (default: on a terminal).")
@click.pass_obj
def cid(ctx: CliContext, path: str, cid_version: str, hidden: bool, show: bool | None) -> None:
    """Print the CID of a file or directory, byte-identical to Kubo's, without storing anything."""
    import os

    from aitrail.unixfs import add_path

    total = os.path.getsize(path) if os.path.isfile(path) else None
    with progress(total, "cid", show) as update:
        node = add_path(path, int(cid_version), hidden=hidden, progress=update)
    ctx.emit({"cid": str(node.cid), "size": node.tsize, "path": path}, str(node.cid))
