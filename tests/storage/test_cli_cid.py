"""`aitrail cid PATH [--cid-version 1]`."""

from click.testing import CliRunner

from aitrail.cli import main


def test_cid_of_a_file_is_kubos(tmp_path):
    f = tmp_path / "hello.txt"
    f.write_bytes(b"hello world\n")
    result = CliRunner().invoke(main, ["cid", str(f)])
    assert result.exit_code == 0, result.output
    assert result.output == "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\n"


def test_cid_version_1(tmp_path):
    f = tmp_path / "hello.txt"
    f.write_bytes(b"hello world")
    result = CliRunner().invoke(main, ["cid", str(f), "--cid-version", "1"])
    assert result.exit_code == 0
    assert result.output.strip() == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"


def test_cid_of_a_directory_matches_kubo(corpus, oracle):
    result = CliRunner().invoke(main, ["cid", str(corpus), "--hidden"])
    assert result.output.strip() == str(oracle["root"])


def test_missing_file_is_one_line_and_nonzero(tmp_path):
    result = CliRunner().invoke(main, ["cid", str(tmp_path / "missing.bin")])
    assert result.exit_code != 0
    missing = tmp_path / "missing.bin"
    assert result.output.strip().splitlines() == [f"error: cannot add {missing}: no such file or directory"]


def test_bad_version_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["cid", str(tmp_path), "--cid-version", "2"])
    assert result.exit_code != 0
    assert "'2' is not one of '0', '1'" in result.output
