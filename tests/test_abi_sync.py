"""The ABIs and bytecode shipped in aitrail/abi match brownie's build (brownie compiles before testing)."""

import importlib.util
from pathlib import Path

from aitrail import abi

ROOT = Path(__file__).resolve().parents[1]


def _exporter():
    spec = importlib.util.spec_from_file_location("export_abi", ROOT / "tools" / "export_abi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_abis_match_the_build():
    problems = _exporter().differences()
    assert problems == [], "run `python tools/export_abi.py`: " + "; ".join(problems)


def test_every_suite_contract_in_the_build_is_shipped():
    exporter = _exporter()
    assert sorted(exporter.expected()) == abi.names()
