"""Malformed option values are click's BadParameter: one error line naming the option, exit 2 (click's
usage code), no traceback, nothing registered or granted, and no chain started to find that out."""

import subprocess

import pytest

from tests.cli_support import AITRAIL, private_home


@pytest.mark.parametrize(
    "args, option, problem",
    [
        (["dataset", "register", "{file}", "--name", "n", "--license", "MIT", "--consent", "aiTraining"],
         "--consent", "expected PURPOSE=VALUE"),
        (["access", "grant", "1", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--public-key", "zz"],
         "--public-key", "must be hex"),
        (["deploy", "--registration-delay", "0"], "--registration-delay", "0 is not in the range 1<=x"),
    ],
)
def test_bad_option_value_is_one_usage_error_line(tmp_path, args, option, problem):
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    home = tmp_path / "home"
    with private_home(home):
        proc = subprocess.run([AITRAIL, *[a.format(file=data) for a in args]],
                              capture_output=True, text=True, timeout=60)
        left = sorted(p.name for p in home.iterdir()) if home.exists() else []
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith(f"error: Invalid value for '{option}'") and problem in lines[0]
    assert left == [], "rejected before a chain, key or record was made"
