"""Fixtures for the DatasetRegistry tests: one registry per module, reverted after every test."""

import importlib.util
from pathlib import Path

import brownie.test
import pytest
from brownie import DatasetRegistry

from scripts.datasets_support import dataset_input


@pytest.fixture(scope="module", autouse=True)
def _module_chain(module_isolation):
    """Module-scoped deployments are undone when the module ends, so modules don't shift each other."""


@pytest.fixture(scope="module")
def owner(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def researcher(accounts):
    return accounts[2]


@pytest.fixture(scope="module")
def operator(accounts):
    return accounts[3]


@pytest.fixture(scope="module")
def relayer(accounts):
    return accounts[4]


@pytest.fixture(scope="module")
def registry(admin):
    return DatasetRegistry.deploy({"from": admin})


@pytest.fixture(scope="module")
def other_registry(admin):
    """A second deployment on the same chain, for cross-contract signature replay."""
    return DatasetRegistry.deploy({"from": admin})


@pytest.fixture(scope="module")
def dataset_id(registry, owner):
    """Dataset 1, owned by `owner`, with a records root."""
    return registry.register(dataset_input(owner, "base", records=8), [], {"from": owner}).return_value


@pytest.fixture
def state_machine():
    """brownie's `state_machine`, loaded from the pure-Python stateful.py that brownie ships.

    brownie 1.22.2's mypyc-compiled stateful module rejects every rules class ("TypeError:
    brownie.test.stateful._BrownieStateMachine object expected; got ...BrownieStateMachine"): the
    compiled base class cannot be subclassed by the generated machine. The .py file beside the
    compiled one is the same code and works.
    """
    path = Path(brownie.test.__file__).with_name("stateful.py")
    spec = importlib.util.spec_from_file_location("brownie_stateful_pure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.state_machine
