"""requirements/constraints.txt is a complete lock: a fresh `make setup` resolves nothing on its own.

Every distribution installed in the project's environment is pinned there at the version installed, and
`pip check` finds no broken requirement. A dependency added without its pin (or a pin left behind after an
upgrade) fails here, before a fresh machine downloads whatever version is newest that day.
"""

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Put there by `python -m venv`, not by the install; setuptools' pin is for pip's isolated builds.
SEEDED = {"pip", "setuptools"}


def _name(raw):
    return re.sub(r"[-_.]+", "-", raw).lower()


def _pins():
    pins = {}
    for line in (ROOT / "requirements" / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_name(name)] = version.strip()
    return pins


def test_every_installed_distribution_is_pinned_at_its_installed_version():
    pins = _pins()
    installed = {_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    installed.pop("aitrail")

    unpinned = {name: v for name, v in installed.items() if name not in pins and name not in SEEDED}
    moved = {name: (pins[name], v) for name, v in installed.items()
             if name in pins and name not in SEEDED and pins[name] != v}
    assert unpinned == {}
    assert moved == {}
    assert "setuptools" in pins and "wheel" in pins  # what the isolated builds install


def test_pip_check_finds_no_broken_requirement():
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)

    assert done.returncode == 0, done.stdout
