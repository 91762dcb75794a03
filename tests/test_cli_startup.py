"""The CLI's start-up: the top-level listing comes from a table, and commands that never reach the chain
import neither web3 nor the flows (the figures themselves are measured by `make bench`, not here)."""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import aitrail.cli
from aitrail.cli import COMMANDS, main

# A fresh interpreter runs one CLI invocation and reports which heavy modules it loaded.
PROBE = """
import json, sys
from aitrail.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = ("web3", "eth_account", "brownie", "requests", "aitrail.flows", "sklearn", "numpy",
         "aitrail.flows.audit", "aitrail.flows.models", "aitrail.merkle")
print(json.dumps(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)
"""


def _heavy_modules_loaded(*args, cwd=None):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )
    return json.loads(result.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_listing_is_each_commands_own_short_help(name):
    command = main.get_command(click.Context(main), name)
    assert command is not None and command.name == name
    assert COMMANDS[name][1] == command.get_short_help_str(limit=300)


def test_every_command_module_is_listed():
    # A command group added under aitrail/cli but not to the table would be unreachable.
    modules = {p.stem for p in Path(aitrail.cli.__file__).parent.glob("*.py") if not p.stem.startswith("_")}
    assert modules - {"context"} == {module for module, _ in COMMANDS.values()}


def test_an_unknown_command_is_one_usage_error():
    # The lazy listing must still refuse a name that is not in the table, in one line.
    outcome = CliRunner().invoke(main, ["no-such-command"])
    assert outcome.exit_code == 2
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: No such command 'no-such-command'")


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_help_and_version_import_nothing_heavy(args):
    assert _heavy_modules_loaded(*args) == []


def test_cid_of_a_file_imports_nothing_heavy(tmp_path):
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello world\n")
    assert _heavy_modules_loaded("cid", str(path)) == []


def test_the_dataset_commands_load_their_own_flows_not_the_audit_models_or_merkle_code():
    # `dataset register` and `fetch` pay for web3 and their flows; the audit, the models and the Merkle code
    # (numpy) are imported by the commands that use them (aitrail.flows and aitrail.records load lazily)
    loaded = _heavy_modules_loaded("dataset", "register", "--help")
    assert {"web3", "aitrail.flows"} <= set(loaded)
    assert not {"numpy", "aitrail.merkle", "aitrail.flows.audit", "aitrail.flows.models"} & set(loaded)


@pytest.mark.parametrize("package", ["aitrail.flows", "aitrail.records"])
def test_a_lazy_package_exports_exactly_what_it_lists_and_every_name_resolves(package):
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(module._EXPORTS)
    for name in module.__all__:
        home = importlib.import_module(f"{package}.{module._EXPORTS[name]}")
        assert getattr(module, name) is getattr(home, name), name
    with pytest.raises(AttributeError, match="no attribute 'no_such_flow'"):
        module.no_such_flow  # noqa: B018
