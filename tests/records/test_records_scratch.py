"""A records command killed while it holds a decrypted copy leaves no plaintext for good: the next one
removes the folder (issue 17, "no plaintext copy of a dataset stays behind")."""

import os
import signal
import subprocess
import sys
from types import SimpleNamespace

from aitrail.flows.records import _scratch, _scratch_dir

# A child that does what withdraw-records does (decrypt into its scratch folder), then is killed.
CHILD = """
import sys, time
from pathlib import Path
from types import SimpleNamespace
from aitrail.flows.records import _scratch_dir
scratch = _scratch_dir(SimpleNamespace(home=Path(sys.argv[1])))
(Path(scratch.name) / "plain.csv").write_text("id,diagnosis\\np1,secret\\n")
print(scratch.name, flush=True)
time.sleep(60)
"""


def test_a_killed_commands_plaintext_is_removed_by_the_next_and_a_live_ones_is_kept(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    left = child.stdout.readline().strip()
    assert (tmp_path / "tmp").stat().st_mode & 0o777 == 0o700
    assert os.path.basename(left).startswith(f"{child.pid}-")
    os.kill(child.pid, signal.SIGKILL)  # TemporaryDirectory's clean-up never runs
    child.wait(timeout=30)
    assert os.path.isfile(os.path.join(left, "plain.csv"))

    session = SimpleNamespace(home=tmp_path)
    with _scratch_dir(session) as mine:  # this process is alive: its folder must survive a sweep
        _scratch(session)
        assert os.path.isdir(mine)
        assert not os.path.exists(left)
    assert list((tmp_path / "tmp").iterdir()) == []
