"""Every custom error the contracts' interfaces declare has a sentence (aitrail/chain/reverts.py), so a
revert is never shown to a user as a bare `Name(arg=...)`; each sentence formats its error's own values."""

import re
from pathlib import Path

from aitrail.chain.reverts import MESSAGES

INTERFACES = Path(__file__).resolve().parents[2] / "interfaces"
ERROR = re.compile(r"^\s*error\s+(\w+)\s*\(([^)]*)\)\s*;", re.M)
SAMPLES = {"address": "0x" + "11" * 20, "bool": True, "bytes": b"\x01" * 64, "string": "x"}


def declared():
    errors = {}
    for path in sorted(INTERFACES.rglob("*.sol")):
        for name, params in ERROR.findall(path.read_text()):
            errors[name] = [p.split()[0] for p in params.split(",") if p.strip()]
    return errors


def sample(kind):
    if kind in SAMPLES:
        return SAMPLES[kind]
    if kind.startswith("bytes"):
        return b"\x02" * int(kind[5:])
    return 1_700_000_000  # an integer that is also a plausible timestamp


def test_every_declared_error_has_a_sentence():
    errors = declared()
    assert len(errors) > 50  # the interfaces were read
    assert sorted(set(errors) - set(MESSAGES)) == []


def test_each_sentence_formats_its_errors_values():
    for name, kinds in declared().items():
        sentence = MESSAGES[name](tuple(sample(k) for k in kinds))
        assert sentence and "{" not in sentence, name
