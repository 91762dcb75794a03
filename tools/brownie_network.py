"""Make brownie's `development` network the pinned Anvil from npm, whatever ~/.brownie held before.

brownie keeps networks in ~/.brownie/network-config.yaml and never rewrites an existing file, and
1.22 cannot take `cmd_settings` from a project's brownie-config.yaml. So `make setup` runs this to
set the one entry the tests use. Other entries are left untouched.

Usage: python tools/brownie_network.py [NETWORK_ID] [PORT]
"""

from __future__ import annotations

import sys
from pathlib import Path

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


def ensure(network_id: str = "development", port: int = 8545) -> Path:
    import brownie._config as brownie_config  # creates ~/.brownie on first import

    path = Path(brownie_config._get_data_folder()) / "network-config.yaml"
    config = yaml.safe_load(path.read_text()) or {}
    entries = config.setdefault("development", [])
    wanted = {**DEVELOPMENT, "id": network_id}
    wanted["cmd_settings"] = {**DEVELOPMENT["cmd_settings"], "port": port}
    if network_id != "development":
        wanted["name"] = f"Anvil (aitrail, {network_id})"
    for index, entry in enumerate(entries):
        if entry.get("id") == network_id:
            if entry == wanted:
                return path
            entries[index] = wanted
            break
    else:
        entries.append(wanted)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


if __name__ == "__main__":
    args = sys.argv[1:]
    ensure(args[0] if args else "development", int(args[1]) if len(args) > 1 else 8545)
