"""`python -m bench` end to end on tiny sizes: the JSON it writes and the README it generates.

Two quick sections only (Merkle vs npm on 1,000 records, the SDK flows on a 1 MiB file), so this stays
a smoke test of the orchestrator, not a benchmark: no figure is asserted, only shape and behaviour.
"""

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import _cli, report

ROOT = Path(__file__).resolve().parents[2]


def bench(*args):
    return subprocess.run(
        [sys.executable, "-m", "bench", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_quick_run_writes_json_and_an_idempotent_readme_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# project\n\nSome text.\n")
    results = tmp_path / "results.json"

    run = bench("--quick", "--only", "merkle,e2e", "--json", str(results), "--readme",
                "--readme-file", str(readme))

    assert run.returncode == 0, run.stderr
    data = json.loads(results.read_text())
    assert set(data["sections"]) == {"merkle", "e2e"}
    for section in data["sections"].values():
        assert section["meta"]["quick"] is True
        assert section["meta"]["seconds"] > 0
    merkle = data["sections"]["merkle"]["result"]
    assert merkle["records"] == 1000 and merkle["root_identical"] and merkle["all_proofs_identical"]
    assert merkle["ratio_build"] > 0 and merkle["npm"]["peak_rss_mib"] > 0
    e2e = data["sections"]["e2e"]["result"]["flows"]
    assert set(e2e["seconds"]) == {"register", "grant", "fetch_verify", "publish_model"}
    assert all(s["min"] <= s["median"] for s in e2e["seconds"].values())
    assert e2e["size_bytes"] == 1 << 20

    text = readme.read_text()
    assert text.startswith("# project\n\nSome text.\n")
    assert text.count(report.START) == 1 and text.count(report.END) == 1
    assert "### Merkle tree vs @openzeppelin/merkle-tree" in text and "### End-to-end latency" in text
    assert "### Gas per operation" not in text  # only what was measured is rendered

    again = bench("--readme", "--no-run", "--json", str(results), "--readme-file", str(readme))

    assert again.returncode == 0, again.stderr
    assert "already up to date" in again.stdout
    assert readme.read_text() == text


def test_readme_section_is_replaced_between_the_markers_not_appended(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# p\n\n{report.START}\nhand-typed figures\n{report.END}\n\n## After\n")
    results = {"sections": {}}

    assert report.update_readme(readme, results) is True
    text = readme.read_text()
    assert "hand-typed figures" not in text
    assert text.count(report.START) == 1 and text.endswith("\n\n## After\n")
    assert report.update_readme(readme, results) is False


def test_unknown_section_is_one_clear_error():
    run = bench("--only", "gas,nope")

    assert run.returncode == 2
    assert "unknown section(s) nope" in run.stderr.strip().splitlines()[-1]


def test_gas_section_equals_the_snapshots_and_never_beats_the_floor(tmp_path):
    results = tmp_path / "results.json"

    run = bench("--quick", "--only", "gas", "--json", str(results))

    assert run.returncode == 0, run.stderr
    gas = json.loads(results.read_text())["sections"]["gas"]["result"]
    assert gas["matches_snapshot"] is True
    snapshot = {**json.loads((ROOT / "gas" / "datasets.json").read_text()),
                **json.loads((ROOT / "gas" / "models.json").read_text())}
    rows = {row["operation"]: row for row in gas["rows"]}
    assert set(rows) == set(snapshot)
    for name, row in rows.items():
        assert row["gas"] == snapshot[name]
        if row.get("floor"):
            assert row["floor"] <= row["gas"], name


def test_startup_section_measures_every_command_and_the_whole_cid_process(tmp_path):
    results = tmp_path / "results.json"

    run = bench("--quick", "--only", "startup", "--json", str(results))

    assert run.returncode == 0, run.stderr
    st = json.loads(results.read_text())["sections"]["startup"]["result"]
    from aitrail.cli import COMMANDS

    assert set(st["commands"]) == {"--help", "--version", *(f"{name} --help" for name in COMMANDS)}
    assert st["cid_cli"]["size_bytes"] == 4 << 20  # the cid section's quick size, so the two compare
    figures = st["commands"].values()
    assert all(r["seconds_min"] <= r["seconds_median"] and r["peak_rss_mib"] > 0 for r in figures)
    rows = report.targets_rows({"startup": {"result": st}})
    assert [r[0] for r in rows][:2] == ["`aitrail --help` ≤ 0.35 s", "`aitrail --version` ≤ 0.35 s"]


def test_stream_section_times_whole_register_and_fetch_processes_beside_the_floor(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# project\n")
    results = tmp_path / "results.json"

    run = bench("--quick", "--only", "stream", "--json", str(results), "--readme",
                "--readme-file", str(readme))

    assert run.returncode == 0, run.stderr
    st = json.loads(results.read_text())["sections"]["stream"]["result"]
    assert st["size_bytes"] == 4 << 20 and st["runs"] == 1
    for key in ("register", "fetch"):
        r = st[key]
        # a whole CLI process imports web3 and talks to the chain: it cannot beat the bare floor process
        assert r["seconds_min"] > st["floor"]["seconds_min"] > 0
        assert r["vs_floor"] == r["ratios"][0] == r["vs_floor_min"] == r["vs_floor_max"]  # one run
        assert r["ratios"][0] > 1  # against the floor measured beside it
        assert r["peak_rss_mib"] > st["floor"]["peak_rss_mib"] > 0
    rows = [r[0] for r in report.targets_rows({"stream": {"result": st}})]
    assert rows == ["register of 4 MiB within 2x the one-pass floor", "register of 4 MiB, peak RSS ≤ 128 MiB",
                    "fetch of 4 MiB within 2x the one-pass floor", "fetch of 4 MiB, peak RSS ≤ 128 MiB"]
    assert "### Register and fetch vs the one-pass floor" in readme.read_text()


# Every `python -m bench.X` main, with an option set to 0 that must be at least 1: (module, argv, option).
BELOW_ONE = [
    ("cid", ["--size-mib", "0"], "--size-mib"),
    ("e2e", ["--runs", "0"], "--runs"),
    ("stream", ["--size-mib", "0", "--runs", "0"], "--size-mib and --runs"),
    ("startup", ["--runs", "0"], "--runs"),
    ("gas", ["--samples", "0"], "--samples"),
    ("gateway", ["--clients", "3,0"], "--clients"),
    ("fl", ["--rounds", "0"], "--rounds"),
    ("merkle", ["--records", "0"], "--records"),
]


@pytest.mark.parametrize(("module", "argv", "option"), BELOW_ONE, ids=[m for m, _, _ in BELOW_ONE])
def test_each_bench_main_refuses_a_count_below_one_with_one_usage_line(module, argv, option, capsys):
    main = importlib.import_module(f"bench.{module}").main

    with pytest.raises(SystemExit) as stopped:
        main(argv)

    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"python -m bench.{module}: error: {option} must be at least 1"


def test_the_result_line_a_child_prints_is_what_the_orchestrator_reads(capsys):
    figures = {"seconds_min": 1.5, "nested": {"runs": 2}, "ratio": 1.25}

    assert _cli.emit_result(figures, True, lambda _: "not this") == 0
    out = capsys.readouterr().out

    assert out.count("\n") == 1 and out.startswith(_cli.PREFIX)
    assert _cli.result_of("progress line\n" + out + "trailing noise\n") == figures
    assert _cli.result_of("no result here\n") is None
    assert _cli.emit_result(figures, False, lambda res: f"ratio {res['ratio']}") == 0
    assert capsys.readouterr().out == "ratio 1.25\n"


def test_no_bench_main_builds_its_own_parser_or_result_line():
    # the set-up lives in bench/_cli.py once: a main that grows its own copy again fails here
    for path in sorted((ROOT / "bench").glob("*.py")):
        if path.name == "_cli.py":
            continue
        text = path.read_text()
        assert "argparse.ArgumentParser(" not in text, path.name
        assert '"RESULT-JSON' not in text, path.name


def test_each_stream_run_is_divided_by_the_floor_measured_beside_it_and_the_median_is_the_figure():
    from bench import stream

    sides = [(2.0, 0), (9.0, 0), (3.0, 0)]
    floors = [(1.0, 0), (3.0, 0), (1.0, 0)]  # the machine was three times slower during the second run

    got = stream._ratios(sides, floors)

    assert got["ratios"] == [2.0, 3.0, 3.0]
    assert (got["vs_floor"], got["vs_floor_min"], got["vs_floor_max"]) == (3.0, 2.0, 3.0)
