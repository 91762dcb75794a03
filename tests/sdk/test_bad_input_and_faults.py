# ruff: noqa: E501  (the case table reads best one case per line)
"""Issue 17: every bad input and injected fault answers with exactly one `error:` line, a non-zero exit
and no traceback, and leaves nothing half-done. One table of cases (`CASES`), run on the embedded
default: a private home on its own Anvil, the local store, real encryption.

Faults are real where the machine can produce them: a byte flipped in a stored block, an IPFS API
port nothing listens on, a chain URL nothing listens on, a second home whose store lacks the owner's
blocks, standard input closed (`<&-`, through a real shell and a real Python process).
"""

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from aitrail.chain.local import LocalChain
from aitrail.cid import CID
from aitrail.cli import main
from tests.cli_support import cli, free_port, private_home

OWNER, RESEARCHER, BUYER = "anvil1", "anvil2", "anvil4"
ANVIL2 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil2, checksummed (EIP-55)
_LETTER = next(i for i, c in enumerate(ANVIL2) if i > 1 and c.isalpha())
BAD_CHECKSUM = ANVIL2[:_LETTER] + ANVIL2[_LETTER].swapcase() + ANVIL2[_LETTER + 1 :]  # one letter's case flipped
UINT256_TOO_BIG = str(2**256)
# The CLI as a real process, importing the package from this checkout (not whatever is installed).
CHECKOUT = Path(__file__).resolve().parents[2]
AITRAIL = [sys.executable, "-c", "from aitrail.cli import main; main(prog_name='aitrail')"]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    with private_home(tmp_path_factory.mktemp("faults-home")) as root:
        cli("deploy", "--treasury", "1000")
        data = root / "patients.csv"
        data.write_text("id,age\np1,54\np2,61\np3,47\n")
        assert cli("dataset", "register", data, "--name", "p", "--license", "CC0", account=OWNER)["id"] == 1
        cli("access", "request", 1, "--purpose", "survival analysis", account=RESEARCHER)
        cli("access", "grant", 1, RESEARCHER, account=OWNER)
        cli("rewards", "send", BUYER, "10")
        cli("access", "price", 1, "1", account=OWNER)
        cli("access", "buy", 1, "--days", "2", account=BUYER)  # granted, but no key delivered
        with pytest.MonkeyPatch.context() as mp:  # a keystore account whose password is not in the env
            mp.setenv("AITRAIL_PASSWORD_LAB", "pw")
            cli("account", "new", "lab")
        yield root


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple
    expect: str  # a part of the one error line
    account: str | None = None
    files: dict = field(default_factory=dict)  # name -> bytes, written under tmp_path; "{name}" in args
    closed_stdin: bool = False  # run through `sh -c 'aitrail ... <&-'`
    fault: str | None = None  # "corrupt-block" | "interrupt" | "other-home"
    output_dir: bool = False  # the case passes "-o {out}": nothing may be left there
    env: dict = field(default_factory=dict)
    logged: int | None = None  # access checks this case may add to the on-chain log (None: not checked)


PASSWORD = {"AITRAIL_PASSWORD": "pw"}


CASES = [
    # --- numbers: checked by click at the boundary, never a web3 MismatchedABI traceback ---
    Case("negative dataset id", ("dataset", "show", "--", "-1"), "-1 is not in the range 1<=x<2**256"),
    Case("dataset id of 2**256", ("dataset", "show", UINT256_TOO_BIG), "is not in the range 1<=x<2**256"),
    Case("dataset id not a number", ("dataset", "show", "one"), "'one' is not a valid uint256"),
    Case("negative days on a grant", ("access", "grant", "1", RESEARCHER, "--days=-5"), "-5 is not in the range 1<=x<=365", account=OWNER),
    Case("zero days on a grant", ("access", "grant", "1", RESEARCHER, "--days", "0"), "0 is not in the range 1<=x<=365", account=OWNER),
    Case("negative days on a request", ("access", "request", "1", "--purpose", "x", "--days=-5"), "-5 is not in the range"),
    Case("zero days on a request", ("access", "request", "1", "--purpose", "x", "--days", "0"), "0 is not in the range"),
    Case("more days than a grant may last", ("access", "buy", "1", "--days", "366"), "366 is not in the range 1<=x<=365"),
    Case("zero signature validity", ("access", "sign", "1", RESEARCHER, "--valid-days", "0", "-o", "g.json"), "0 is not in the range", account=OWNER),
    Case("negative predecessor", ("dataset", "register", "{f.csv}", "--name", "n", "--license", "l", "--predecessor", "-1"), "-1 is not in the range 0<=x<2**256", files={"f.csv": b"id\na\n"}),
    Case("negative dataset cited by a model", ("model", "publish", "m", "{w.bin}", "--dataset", "-1"), "-1 is not in the range", files={"w.bin": b"w"}),
    Case("negative parent version", ("model", "publish", "m", "{w.bin}", "--parent", "-2"), "-2 is not in the range", files={"w.bin": b"w"}),
    Case("audit of a negative id", ("audit", "dataset", "--", "-1"), "is not in the range"),
    Case("proof of a negative id", ("records", "prove", "--", "-1", "p1"), "is not in the range"),
    Case("zero timeout", ("--timeout", "0", "dataset", "list"), "0 is not in the range x>0"),
    Case("token amount above uint256", ("access", "price", "1", "1e80"), "not an amount of tokens: '1e80'"),
    Case("negative token amount", ("rewards", "send", "--", RESEARCHER, "-1"), "not an amount of tokens: '-1'"),
    Case("negative ETH amount", ("account", "fund", "--", RESEARCHER, "-1"), "not an amount of ETH: '-1'"),
    # --- addresses: a mixed-case address must carry a valid EIP-55 checksum ---
    Case("fund to a bad checksum", ("account", "fund", BAD_CHECKSUM, "1"), "fails its EIP-55 checksum"),
    Case("grant to a bad checksum", ("access", "grant", "1", BAD_CHECKSUM, "--public-key", "00" * 64), "fails its EIP-55 checksum"),
    Case("status of a bad checksum", ("access", "status", "--of", BAD_CHECKSUM), "fails its EIP-55 checksum"),
    Case("signer given by a bad checksum", ("--account", BAD_CHECKSUM, "dataset", "list"), "fails its EIP-55 checksum"),
    Case("too short an address", ("dataset", "list", "--owner", "0x1234"), "'0x1234' is not an Ethereum address"),
    # --- keystores and passwords ---
    Case("keystore JSON without its fields", ("account", "import", "k1", "--keystore", "{ks.json}"), "not a valid keystore file: no field", files={"ks.json": b'{"crypto": {}, "version": 3}'}, env=PASSWORD),
    Case("keystore of binary garbage", ("account", "import", "k2", "--keystore", "{ks.bin}"), "is not a keystore JSON file (not text)", files={"ks.bin": bytes(range(128, 256))}, env=PASSWORD),
    Case("keystore that is a JSON list", ("account", "import", "k3", "--keystore", "{ks.json}"), "no 'crypto' section", files={"ks.json": b"[1, 2]"}, env=PASSWORD),
    Case("keystore path is a directory", ("account", "import", "k4", "--keystore", "{dir/}"), "is a directory", files={"dir/": b""}, env=PASSWORD),
    Case("password needed, stdin closed", ("--account", "lab", "dataset", "list"), "no password for account 'lab'", closed_stdin=True),
    Case("new account, stdin closed", ("account", "new", "fresh"), "no password for account 'fresh'", closed_stdin=True),
    Case("typed key import, stdin closed", ("account", "import", "typed"), "a private key is only read from a hidden prompt", closed_stdin=True),
    # --- click's usage errors: one line too ---
    Case("unknown command", ("dataset", "nope"), "No such command 'nope'"),
    Case("missing option", ("dataset", "register", "{f.csv}", "--license", "l"), "Missing option '--name'", files={"f.csv": b"id\na\n"}),
    Case("unknown option", ("dataset", "list", "--bogus"), "No such option '--bogus'"),
    Case("bad choice", ("--store", "s3", "dataset", "list"), "'s3' is not one of 'local', 'kubo'"),
    Case("gc of a store that is not the embedded one", ("--store", "kubo", "store", "gc"), "store gc works on the embedded local store"),
    # --- faults: the data path fails; nothing is left at -o ---
    Case("fetch with a corrupted block", ("dataset", "fetch", "1", "-o", "{out}"), "is corrupted: its bytes hash to", account=RESEARCHER, fault="corrupt-block", output_dir=True, logged=1),
    Case("fetch with the store unreachable", ("--store", "kubo", "--ipfs-api", "{dead-url}", "dataset", "fetch", "1", "-o", "{out}"), "IPFS (Kubo) API unreachable", account=RESEARCHER, output_dir=True, logged=0),
    Case("fetch interrupted (Ctrl-C) mid-download", ("dataset", "fetch", "1", "-o", "{out}"), "error: aborted; nothing was left half-done", account=RESEARCHER, fault="interrupt", output_dir=True, logged=1),
    Case("fetch before any key is delivered", ("dataset", "fetch", "1", "-o", "{out}"), "no data key was delivered yet", account=BUYER, output_dir=True, logged=0),
    Case("chain unreachable", ("--rpc-url", "{dead-url}", "dataset", "list"), "chain unreachable at"),
    # --- across homes: the owner's metadata lives only in the first home's embedded store ---
    Case("show from a second home", ("dataset", "show", "1"), "dataset 1's metadata (CID", fault="other-home"),
    Case("grant from a second home", ("access", "grant", "1", RESEARCHER), "is not in this home's embedded store; point --store/AITRAIL_STORE", account=OWNER, fault="other-home"),
    Case("fetch from a second home", ("dataset", "fetch", "1", "-o", "{out}"), "dataset 1's metadata (CID", account=RESEARCHER, fault="other-home", output_dir=True),
]
TRIED = []


def _fill(arg, tmp_path, dead_url):
    if arg == "{out}":
        return str(tmp_path / "out" / "nested")
    if arg == "{dead-url}":
        return dead_url
    if arg.startswith("{") and arg.endswith("}"):
        return str(tmp_path / arg[1:-1])
    return arg


def _corrupt_data_block(home):
    cid = CID.decode(cli("dataset", "show", 1)["cid"])
    key = cid.to_v1().encode()
    block = home / "store" / "blocks" / key[-2:] / key
    original = block.read_bytes()
    block.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    return lambda: block.write_bytes(original)


def _run(case, args, env):
    """(exit code, stdout, stderr, an exception that escaped the CLI or None)."""
    if case.closed_stdin:
        full = {k: v for k, v in os.environ.items() if not k.startswith("AITRAIL_PASSWORD")}
        quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in [*AITRAIL, *args])
        proc = subprocess.run(
            ["sh", "-c", f"exec {quoted} <&-"],
            cwd=CHECKOUT,
            env={**full, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        return proc.returncode, proc.stdout, proc.stderr, None
    result = CliRunner().invoke(main, args, env=env)
    escaped = None if isinstance(result.exception, SystemExit | None) else result.exception
    return result.exit_code, result.stdout, result.stderr, escaped


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_answers_with_one_error_line(home, tmp_path, case, monkeypatch):
    TRIED.append(case.name)
    for name, content in case.files.items():
        if name.endswith("/"):
            (tmp_path / name).mkdir()
        else:
            (tmp_path / name).write_bytes(content)
    dead_url = f"http://127.0.0.1:{free_port()}"
    args = [_fill(a, tmp_path, dead_url) for a in case.args]
    env = dict(case.env)
    if case.account:
        env["AITRAIL_ACCOUNT"] = case.account
    restore = lambda: None  # noqa: E731
    if case.fault == "corrupt-block":
        restore = _corrupt_data_block(home)
    elif case.fault == "interrupt":
        import aitrail.fetch

        real = aitrail.fetch.decrypt_chunks

        def interrupted(*a, **k):
            yield from real(*a, **k)
            raise KeyboardInterrupt  # after the plaintext is written to the temporary file

        monkeypatch.setattr(aitrail.fetch, "decrypt_chunks", interrupted)
    elif case.fault == "other-home":
        second = tmp_path / "second-home"
        second.mkdir()
        (second / "deployments").mkdir()
        for book in (home / "deployments").glob("*.json"):
            (second / "deployments" / book.name).write_bytes(book.read_bytes())
        env.update({"AITRAIL_HOME": str(second), "AITRAIL_RPC_URL": LocalChain(home).url})
    before = _logged_attempts(home) if case.logged is not None else 0
    try:
        code, stdout, stderr, escaped = _run(case, args, env)
    finally:
        restore()
    lines = stderr.strip().splitlines()
    assert escaped is None, repr(escaped)
    assert code != 0, (stdout, stderr)
    assert "Traceback" not in stderr + stdout, stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert case.expect in lines[0], lines[0]
    print(f"\n{case.name}: {lines[0]}")
    if case.output_dir:
        assert not (tmp_path / "out").exists(), list((tmp_path / "out").rglob("*"))
    if case.logged is not None:  # checked before logging, or logged as what it is: an access check
        assert _logged_attempts(home) == before + case.logged
    if case.logged:
        trail = cli("audit", "dataset", 1)["trail"]
        assert trail[-1]["detail"].endswith("fetch attempt: access check ALLOWED")
        assert not any("fetch ALLOWED" in row["detail"] for row in trail)
        assert not any("fetch ALLOWED" in row["detail"] for row in trail)


def _logged_attempts(home):
    return sum(1 for row in cli("audit", "dataset", 1)["trail"] if row["event"] == "AccessLogged")


def test_every_case_of_the_table_was_tried():
    assert len(TRIED) == len(CASES)
    print(f"\nbad-input and fault cases tried: {len(TRIED)}")
