"""Copy the suite's ABIs and creation bytecode from brownie's build into the package (aitrail/abi/).

    brownie compile && python tools/export_abi.py          # write
    python tools/export_abi.py --check                      # exit 1 if out of sync

tests/test_abi_sync.py runs the same comparison, so a contract change without a re-export fails the tests.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "contracts"
TARGET = ROOT / "aitrail" / "abi"
# The deployable suite; test helpers under contracts/test are not shipped.
SUITE = ("DatasetRegistry", "ModelRegistry", "RewardToken", "Rewards", "AccessMarket", "FederatedTraining")


def expected() -> dict[str, dict[str, Any]]:
    """What aitrail/abi/ should hold, from the build (contracts missing from the build are skipped)."""
    out = {}
    for name in SUITE:
        path = BUILD / f"{name}.json"
        if path.is_file():
            build = json.loads(path.read_text())
            out[name] = {"contractName": name, "abi": build["abi"], "bytecode": "0x" + build["bytecode"]}
    return out


def render(artifact: dict[str, Any]) -> str:
    return json.dumps(artifact, indent=1, sort_keys=True) + "\n"


def differences() -> list[str]:
    problems = []
    wanted = expected()
    for name, artifact in wanted.items():
        path = TARGET / f"{name}.json"
        if not path.is_file() or path.read_text() != render(artifact):
            problems.append(f"aitrail/abi/{name}.json differs from build/contracts/{name}.json")
    for path in TARGET.glob("*.json"):
        if path.stem not in wanted:
            problems.append(f"aitrail/abi/{path.name} has no contract in the build")
    return problems


def write() -> list[str]:
    TARGET.mkdir(exist_ok=True)
    written = []
    for name, artifact in expected().items():
        (TARGET / f"{name}.json").write_text(render(artifact))
        written.append(name)
    return written


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        found = differences()
        print("\n".join(found) or "ABIs in sync with the build")
        sys.exit(1 if found else 0)
    print("exported:", ", ".join(write()) or "nothing (run `brownie compile` first)")
