"""Set the brownie networks aitrail needs in ~/.brownie/network-config.yaml, whatever it held before.

brownie keeps networks in ~/.brownie/network-config.yaml and never rewrites an existing file, and
1.22 cannot take `cmd_settings` (nor other network keys) from a project's brownie-config.yaml. So
`make setup` runs this to set two entries; other entries are left untouched:

- `development` (or NETWORK_ID): the Anvil from npm that `brownie test` launches on PORT (default 8545).
- `aitrail-local`: a live network for the CLI's embedded chain (chain id 31337, 127.0.0.1:8547, or
  $AITRAIL_LOCAL_PORT when set), so `brownie run scripts/... --network aitrail-local` drives the same chain
  and address book as `aitrail`. It is live, not development, on purpose: for a development network that
  does not answer, brownie launches an empty chain of its own on that port. Start the embedded chain first
  with `aitrail chain start`.

Usage: python tools/brownie_network.py [NETWORK_ID] [PORT]
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import yaml

DEVELOPMENT = {
    "name": "Anvil (aitrail)",
    "host": "http://127.0.0.1",
    "cmd": "anvil",
    "cmd_settings": {
        "port": 8545,
        "accounts": 10,
        "gas_limit": 30_000_000,
        "base_fee": 0,
        "chain_id": 1337,
        "steps_tracing": True,
    },
}
EMBEDDED_ID = "aitrail-local"
EMBEDDED_GROUP = "aitrail"
EMBEDDED_PORT = 8547  # aitrail.config.LOCAL_RPC_URL's port; this tool runs before the package is importable


def config_path() -> Path:
    import brownie._config as brownie_config  # creates ~/.brownie on first import

    return Path(brownie_config._get_data_folder()) / "network-config.yaml"


def ensure(network_id: str = "development", port: int = 8545, path: Path | None = None) -> Path:
    """Make the development entry `network_id` the pinned Anvil on `port`."""
    path = path or config_path()
    config = _load(path)
    wanted = {**DEVELOPMENT, "id": network_id}
    wanted["cmd_settings"] = {**DEVELOPMENT["cmd_settings"], "port": port}
    if network_id != "development":
        wanted["name"] = f"Anvil (aitrail, {network_id})"
    if _put(config.setdefault("development", []), wanted):
        _save(path, config)
    return path


def ensure_embedded(port: int | None = None, path: Path | None = None) -> Path:
    """Make `aitrail-local` a live network at the embedded chain's URL."""
    path = path or config_path()
    port = port or int(os.environ.get("AITRAIL_LOCAL_PORT") or EMBEDDED_PORT)
    config = _load(path)
    wanted = {
        "name": "aitrail embedded chain (aitrail chain start)",
        "id": EMBEDDED_ID,
        "host": f"http://127.0.0.1:{port}",
        "chainid": 31337,
    }
    groups = config.setdefault("live", [])
    group = next((g for g in groups if g.get("name") == EMBEDDED_GROUP), None)
    if group is None:
        group = {"name": EMBEDDED_GROUP, "networks": []}
        groups.append(group)
    if _put(group.setdefault("networks", []), wanted):
        _save(path, config)
    return path


def _load(path: Path) -> dict[str, Any]:
    return (yaml.safe_load(path.read_text()) if path.exists() else None) or {}


def _put(entries: list[dict[str, Any]], wanted: dict[str, Any]) -> bool:
    """Put `wanted` in place of the entry with its id (or append it); False if it was already there."""
    for index, entry in enumerate(entries):
        if entry.get("id") == wanted["id"]:
            if entry == wanted:
                return False
            entries[index] = wanted
            return True
    entries.append(wanted)
    return True


def _save(path: Path, config: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    os.replace(tmp, path)


if __name__ == "__main__":
    args = sys.argv[1:]
    ensure(args[0] if args else "development", int(args[1]) if len(args) > 1 else 8545)
    ensure_embedded()
