"""One gas table: measured figures beside their anchors and targets, compared with a committed snapshot.

Gas is deterministic for given contracts and calldata, so a snapshot is compared exactly: any increase
fails the tests (tests/contracts/test_gas_snapshot_*.py), a decrease is printed and accepted, and
`UPDATE_GAS_SNAPSHOT=1` rewrites the file after a deliberate change. scripts/gas_datasets.py and
scripts/gas_models.py each describe their operations with one GasSnapshot.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

GAS_DIR = Path(__file__).resolve().parent.parent / "gas"

# operation -> (anchor system from ../shared/ANCHORS.md, its gas); None where no anchor has it.
Anchors = dict[str, tuple[str, int] | None]


@dataclass(frozen=True)
class GasSnapshot:
    path: Path
    anchors: Anchors
    targets: dict[str, int]

    def load(self) -> dict[str, int]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def write(self, gas: dict[str, int]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(gas, indent=2) + "\n")

    def compare(self, gas: dict[str, int]) -> tuple[list[str], list[str]]:
        """(increases, other changes) between the snapshot and a measurement, one line each."""
        snapshot = self.load()
        increases, changes = [], []
        for name, value in gas.items():
            before = snapshot.get(name)
            if before is None:
                changes.append(f"{name}: new, {value:,}")
            elif value > before:
                increases.append(f"{name}: {before:,} -> {value:,} (+{value - before:,})")
            elif value < before:
                changes.append(f"{name}: {before:,} -> {value:,} ({value - before:,})")
        changes += [f"{name}: no longer measured" for name in snapshot if name not in gas]
        return increases, changes

    def over_target(self, gas: dict[str, int]) -> list[str]:
        over = {name: limit for name, limit in self.targets.items() if gas[name] > limit}
        return [f"{name}: {gas[name]:,} > {limit:,}" for name, limit in over.items()]

    def table(self, gas: dict[str, int]) -> str:
        width = max(len(name) for name in gas) + 2
        lines = [
            f"{'operation':<{width}} {'gas':>9} {'target':>9}  {'anchor':<40} "
            f"{'anchor gas':>10} {'ratio':>6}",
            "-" * (width + 80),
        ]
        for name, value in gas.items():
            target = self.targets.get(name)
            anchor_name, anchor_gas = self.anchors.get(name) or ("-", 0)
            ratio = f"{value / anchor_gas:.2f}" if anchor_gas else "-"
            anchor_text = f"{anchor_gas:,}" if anchor_gas else "-"
            target_text = f"{target:,}" if target else "-"
            flag = "" if target is None or value <= target else "  OVER TARGET"
            lines.append(
                f"{name:<{width}} {value:>9,} {target_text:>9}  {anchor_name:<40} "
                f"{anchor_text:>10} {ratio:>6}{flag}"
            )
        return "\n".join(lines)

    def report(self, gas: dict[str, int]) -> dict[str, int]:
        """What `brownie run scripts/gas_*.py` prints; exits non-zero on an unexplained increase."""
        print(self.table(gas))
        increases, changes = self.compare(gas)
        for line in changes:
            print(f"changed: {line}")
        for line in increases:
            print(f"INCREASE: {line}")
        if os.environ.get("UPDATE_GAS_SNAPSHOT") == "1":
            self.write(gas)
            print(f"snapshot written: {self.path}")
        elif increases:
            raise SystemExit(f"gas increased on {len(increases)} operation(s); see above")
        return gas
