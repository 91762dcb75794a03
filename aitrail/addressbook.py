"""Where the suite is deployed, per chain id.

`aitrail deploy` writes `<home>/deployments/<chain id>.json`: {"ContractName": "0x...", ...}.
A deployment shipped with the package (aitrail/deployments/<chain id>.json) is read when the user
has none of their own, so pointing at an existing testnet deployment needs no deploy.
"""

from __future__ import annotations

import json
from pathlib import Path

from aitrail._files import write_private
from aitrail.errors import ConfigError

SUITE = ("DatasetRegistry", "ModelRegistry", "RewardToken", "Rewards", "AccessMarket", "FederatedTraining")
SHIPPED = Path(__file__).parent / "deployments"


class AddressBook:
    def __init__(self, home: Path) -> None:
        self.folder = home / "deployments"

    def path(self, chain_id: int) -> Path:
        return self.folder / f"{chain_id}.json"

    def load(self, chain_id: int) -> dict[str, str]:
        for candidate in (self.path(chain_id), SHIPPED / f"{chain_id}.json"):
            if candidate.is_file():
                try:
                    data = json.loads(candidate.read_text())
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"address book {candidate} is not valid JSON: {exc.msg}") from None
                if not isinstance(data, dict):
                    raise ConfigError(f"address book {candidate} must map contract names to addresses")
                return {str(k): str(v) for k, v in data.items()}
        return {}

    def save(self, chain_id: int, addresses: dict[str, str]) -> Path:
        """Write atomically: a crash mid-write never leaves a half-written book."""
        target = self.path(chain_id)
        write_private(target, json.dumps(addresses, indent=2, sort_keys=True) + "\n")
        return target
