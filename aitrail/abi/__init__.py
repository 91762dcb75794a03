"""ABIs and creation bytecode of the suite, exported from brownie's build by `tools/export_abi.py`.

One JSON file per contract: {"contractName", "abi", "bytecode"}. A test fails when they differ from the
build, so the package never ships an ABI that does not match the contracts.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aitrail.errors import ConfigError

FOLDER = Path(__file__).parent


def names() -> list[str]:
    return sorted(p.stem for p in FOLDER.glob("*.json"))


@cache
def artifact(name: str) -> dict[str, Any]:
    path = FOLDER / f"{name}.json"
    if not path.is_file():
        raise ConfigError(f"no ABI shipped for contract {name!r} (have: {', '.join(names()) or 'none'})")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def abi(name: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = artifact(name)["abi"]
    return entries


def bytecode(name: str) -> str:
    code = str(artifact(name)["bytecode"])
    return code if code.startswith("0x") else "0x" + code


def all_entries(kind: str) -> list[dict[str, Any]]:
    """Every ABI entry of one kind ("error", "event", ...) across the suite, without duplicates."""
    seen: dict[str, dict[str, Any]] = {}
    for name in names():
        for entry in abi(name):
            if entry.get("type") == kind:
                key = entry["name"] + "(" + ",".join(canonical_type(i) for i in entry.get("inputs", [])) + ")"
                seen.setdefault(key, entry)
    return list(seen.values())


def canonical_type(param: dict[str, Any]) -> str:
    """Canonical ABI type of an input or output, tuples expanded, as used in selectors and topics.

    >>> canonical_type({"type": "tuple[]", "components": [{"type": "address"}, {"type": "uint64"}]})
    '(address,uint64)[]'
    """
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(canonical_type(c) for c in param["components"]) + ")" + kind[len("tuple"):]
    return kind


def signature(entry: dict[str, Any]) -> str:
    return str(entry["name"]) + "(" + ",".join(canonical_type(i) for i in entry.get("inputs", [])) + ")"
