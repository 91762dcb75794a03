"""`aitrail store`: add, pins, CAR export from one home and import into another with the same CIDs."""

import json
import os

from click.testing import CliRunner

from aitrail.cli import main
from aitrail.unixfs import add_path


def _run(home, *args):
    return CliRunner().invoke(main, ["--json", "store", *args], env={"AITRAIL_HOME": str(home)})


def test_car_export_then_import_elsewhere_keeps_the_cid(tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(os.urandom(600_000))  # three chunks: a real DAG, not one block
    owner, other = tmp_path / "owner", tmp_path / "other"

    added = _run(owner, "add", str(data))
    assert added.exit_code == 0, added.output
    cid = json.loads(added.output)["cid"]
    assert cid == str(add_path(data).cid)

    car = tmp_path / "data.car"
    exported = _run(owner, "export", cid, "-o", str(car))
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["blocks"] == 4  # three leaves and the root

    imported = _run(other, "import", str(car))
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output)["roots"] == [cid]
    assert json.loads(_run(other, "pins").output) == [cid]


def test_exporting_a_cid_the_store_lacks_is_one_line_naming_it(tmp_path):
    missing = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"
    result = _run(tmp_path / "home", "export", missing, "-o", str(tmp_path / "x.car"))
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) == 1
    assert missing in result.output
    assert not (tmp_path / "x.car").exists()


def test_importing_a_tampered_car_is_refused_and_pins_nothing(tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(b"hello aitrail\n" * 1000)
    owner = tmp_path / "owner"
    cid = json.loads(_run(owner, "add", str(data)).output)["cid"]
    car = tmp_path / "data.car"
    assert _run(owner, "export", cid, "-o", str(car)).exit_code == 0
    raw = bytearray(car.read_bytes())
    raw[-5] ^= 0x01  # one flipped bit inside the last block
    car.write_bytes(bytes(raw))

    result = _run(tmp_path / "other", "import", str(car))

    assert result.exit_code != 0
    assert result.output.startswith("error: ")
    assert json.loads(_run(tmp_path / "other", "pins").output) == []


def test_not_a_cid_is_one_line(tmp_path):
    result = _run(tmp_path, "export", "not-a-cid", "-o", str(tmp_path / "x.car"))
    assert result.exit_code != 0
    assert result.output.strip() == "error: not a CID this tool understands: 'not-a-cid'"
