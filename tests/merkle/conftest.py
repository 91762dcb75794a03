"""Fixtures for the Merkle tests: the npm @openzeppelin/merkle-tree oracle (oz_merkle.js)."""

import json
import subprocess
from pathlib import Path

import pytest

ORACLE = Path(__file__).with_name("oz_merkle.js")


def _run_oracle(cases):
    payload = json.dumps([{"leafEncoding": enc, "values": vals} for enc, vals in cases])
    done = subprocess.run(
        ["node", str(ORACLE)], input=payload, capture_output=True, text=True, check=True, timeout=600
    )
    return json.loads(done.stdout)


@pytest.fixture(scope="session")
def oz_trees():
    """oz_trees([(leafEncoding, json_values), ...]) -> [{"root", "dump" (JSON text), "proofs"}] from npm."""
    return _run_oracle
