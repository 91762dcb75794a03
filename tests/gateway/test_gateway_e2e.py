"""The access gateway with three homes (owner, gateway, researcher), one chain and one real IPFS node.

Each party has its own AITRAIL_HOME and shares only the chain's RPC URL and the IPFS node's API. The
gateway is `aitrail gateway serve` in its own process; the owner and the researcher use the CLI as
separate processes. Bad input is sent with plain HTTP (requests) and SIWE messages signed here with
Anvil's public test keys, as a hostile client would. Faults are real: the gateway's RPC goes through a
TCP relay that the test shuts, the gateway is SIGKILLed mid-download and restarted, and a block is
corrupted on the disk of the (stand-in, see tests/storage/kubo_rpc_server.py) IPFS API the second
gateway reads, since a real node re-hashes what it stores and cannot be made to serve bad bytes.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from web3 import HTTPProvider, Web3

from aitrail.chain.accounts import dev_account
from aitrail.gateway import siwe
from tests.cli_support import free_port

AITRAIL = str(Path(sys.executable).with_name("aitrail"))
DAY = 86_400
OWNER, GATEWAY, RESEARCHER, STRANGER = "anvil1", "anvil3", "anvil2", "anvil4"
SIZE = 5 * (1 << 20) + 12_345  # six 1 MiB segments, several IPFS leaves, not aligned to either


def _env(home, devchain, ipfs_node, account=None, rpc=None, ipfs=None):
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "AITRAIL_HOME": str(home),
        "AITRAIL_RPC_URL": rpc or devchain.url,
        "AITRAIL_STORE": "kubo",
        "AITRAIL_IPFS_API": ipfs or ipfs_node.api_url,
        "AITRAIL_NO_PROGRESS": "1",
    }
    if account:
        env["AITRAIL_ACCOUNT"] = account
    return env


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    root = tmp_path_factory.mktemp("gateway-homes")
    return {p: root / p for p in ("owner", "gateway", "researcher", "stranger", "gateway2")}


@pytest.fixture(scope="module")
def run(devchain, ipfs_node, homes):
    def run(party, *args, account=None, ok=True, timeout=300):
        done = subprocess.run(
            [AITRAIL, "--json", *map(str, args)],
            env=_env(homes[party], devchain, ipfs_node, account),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if ok:
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)
        assert done.returncode != 0, done.stdout
        lines = done.stderr.strip().splitlines()
        assert lines and lines[-1].startswith("error: "), done.stderr
        return lines[-1].removeprefix("error: ")

    return run


class GatewayProcess:
    def __init__(self, home, env, port, *extra):
        self.home, self.env, self.port, self.extra = home, env, port, extra
        self.url = f"http://127.0.0.1:{port}"
        self.proc = None

    def start(self):
        self.log = open(self.home.parent / f"gateway-{self.port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [AITRAIL, "gateway", "serve", "--port", str(self.port), *self.extra],
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.home.parent / f"gateway-{self.port}.log").read_text()
            try:
                requests.get(f"{self.url}/siwe/nonce", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.2)
        raise AssertionError("gateway did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


class Relay:
    """A TCP relay to the chain's RPC that the test can shut: the gateway's view of "RPC unreachable"."""

    def __init__(self, target_port):
        self.target = target_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._open = True
        self._live = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def open(self):
        return self._open

    @open.setter
    def open(self, value):
        """Shutting also drops the connections web3 keeps alive, as a dead node would."""
        self._open = value
        if not value:
            for s in self._live:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self._live.clear()

    def _accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self._live += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def world(run, homes, devchain, ipfs_node, tmp_path_factory):
    """Deployed, a 5 MiB dataset registered by the owner, handed to the gateway, the researcher granted."""
    data = tmp_path_factory.mktemp("data") / "scans.bin"
    data.write_bytes(os.urandom(SIZE))
    run("owner", "deploy", account=OWNER)
    for party in ("gateway", "researcher", "stranger"):
        run(party, "deploy", "--find")
    dataset = run(
        "owner", "dataset", "register", data, "--name", "Scans", "--license", "CC-BY-4.0", account=OWNER
    )["id"]
    relay = Relay(int(devchain.url.rsplit(":", 1)[1].split("/")[0]))
    port = free_port()
    env = _env(homes["gateway"], devchain, ipfs_node, GATEWAY, rpc=f"http://127.0.0.1:{relay.port}")
    gateway = GatewayProcess(homes["gateway"], env, port, "--rate", "50", "--burst", "40").start()
    gateway_address = dev_account(GATEWAY).address
    handed = run("owner", "gateway", "add", dataset, "--gateway", gateway_address, account=OWNER)
    assert handed["gateway"] == gateway_address
    run("researcher", "access", "request", dataset, "--purpose", "tumour model", account=RESEARCHER)
    granted = run(
        "owner", "access", "grant", dataset, dev_account(RESEARCHER).address, "--days", 30, account=OWNER
    )
    assert granted["grantee"] == dev_account(RESEARCHER).address
    yield {"data": data, "id": dataset, "gateway": gateway, "relay": relay, "address": gateway_address}
    gateway.stop()


def _w3(devchain):
    return Web3(HTTPProvider(devchain.url))


def _registry(devchain, world):
    from aitrail import abi

    book = json.loads(next((Path(world["gateway"].home) / "deployments").glob("*.json")).read_text())
    return _w3(devchain).eth.contract(address=book["DatasetRegistry"], abi=abi.abi("DatasetRegistry"))


def _gateway_sets(devchain, world):
    return _registry(devchain, world).events.GatewaySet().get_logs(from_block=0)


def _records(devchain, world):
    """GatewayAccessRecorded events read straight from the chain: (researcher, allowed, reason)."""
    logs = _registry(devchain, world).events.GatewayAccessRecorded().get_logs(from_block=0)
    return [
        (e["args"]["researcher"], e["args"]["allowed"], e["args"]["reason"], e["transactionHash"].to_0x_hex())
        for e in logs
    ]


def _login(url, account, *, domain=None, chain_id=31337, expires_in=600, nonce=None, signer=None):
    offer = requests.get(f"{url}/siwe/nonce", timeout=10).json()
    now = datetime.now(UTC).replace(microsecond=0)
    key = dev_account(account)
    message = siwe.SiweMessage(
        domain=domain or offer["domain"],
        address=key.address,
        statement=siwe.STATEMENT,
        uri=url,
        chain_id=chain_id,
        nonce=nonce or offer["nonce"],
        issued_at=now - timedelta(seconds=1),
        expiration_time=now + timedelta(seconds=expires_in),
    )
    body = {"message": message.text(), "signature": siwe.sign(message, dev_account(signer or account))}
    return requests.post(f"{url}/siwe/login", json=body, timeout=10), body


def _token(url, account):
    resp, _ = _login(url, account)
    assert resp.status_code == 200, resp.text
    return resp.json()["token"]


def _get(url, dataset, token, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{url}/datasets/{dataset}", headers=headers, timeout=60)


def test_granted_fetch_through_the_gateway(run, world, homes, devchain, tmp_path):
    out = tmp_path / "copy"
    fetched = run(
        "researcher",
        "dataset",
        "fetch",
        world["id"],
        "-o",
        out,
        "--gateway",
        world["gateway"].url,
        account=RESEARCHER,
    )
    path = Path(fetched["path"])
    assert path.read_bytes() == world["data"].read_bytes()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert sorted(p.name for p in out.iterdir()) == ["scans.bin"]  # no partial left
    (tx,) = fetched["recordTxs"]
    assert (dev_account(RESEARCHER).address, True, 0, tx) in _records(devchain, world)
    # The researcher never received the data key: their grant carries no key reference.
    trail = run("researcher", "audit", "dataset", world["id"])
    granted = [r for r in trail["trail"] if r["event"] == "AccessGranted"]
    assert granted and all("data key delivered" not in r["detail"] for r in granted)
    gateway_rows = [r for r in trail["trail"] if r["event"] == "GatewayAccessRecorded"]
    assert gateway_rows[-1]["detail"] == (
        f"{dev_account(RESEARCHER).address} via gateway {world['address']}: ALLOWED (recorded by the gateway)"
    )
    # And a direct fetch, without the gateway, has no key to decrypt with.
    refused = run(
        "researcher", "dataset", "fetch", world["id"], "-o", tmp_path / "direct", account=RESEARCHER, ok=False
    )
    assert "no data key was delivered" in refused


def test_stranger_is_denied_and_the_denial_is_recorded(run, world, devchain):
    url = world["gateway"].url
    resp = _get(url, world["id"], _token(url, STRANGER))
    assert resp.status_code == 403
    body = resp.json()
    assert body["error"] == (
        f"{dev_account(STRANGER).address} may not fetch dataset {world['id']}: "
        "no grant (never granted, or revoked)"
    )
    assert resp.headers["X-Aitrail-Record-Tx"] == body["tx"]
    assert (dev_account(STRANGER).address, False, 1, body["tx"]) in _records(devchain, world)
    assert len(resp.content) < 400  # a reason, never data
    # The audit keeps a gateway-recorded denial in the trail (only an authorised gateway can record it).
    trail = run("researcher", "audit", "dataset", world["id"])
    assert trail["trail"][-1]["detail"] == (
        f"{dev_account(STRANGER).address} via gateway {world['address']}: DENIED, no grant (never granted, "
        "or revoked) (recorded by the gateway)"
    )
    assert trail["strangerAttempts"]["attempts"] == 0


def test_the_owner_cannot_deliver_the_key_of_a_gateway_served_dataset(run, world):
    refused = run(
        "owner", "access", "deliver", world["id"], dev_account(RESEARCHER).address, account=OWNER, ok=False
    )
    assert refused.startswith(f"dataset {world['id']} is served by a gateway")


def test_a_corrupted_cached_block_is_dropped_and_read_again(world, homes, devchain, ipfs_node):
    """The gateway's block cache is re-hashed at every read: a block rotted on its disk is fetched again
    from the IPFS node, and the researcher gets the right bytes. (A second gateway process on the same
    home, so that no decrypted segment is still in memory.)"""
    blocks = sorted((homes["gateway"] / "gateway-cache" / "blocks").rglob("*"))
    leaves = [p for p in blocks if p.is_file() and p.stat().st_size > 200_000]
    assert leaves, "the granted fetch filled the cache"
    victim = leaves[len(leaves) // 2]
    victim.write_bytes(b"\x00" * victim.stat().st_size)
    env = _env(homes["gateway"], devchain, ipfs_node, GATEWAY)
    fresh = GatewayProcess(homes["gateway"], env, free_port()).start()
    try:
        resp = _get(fresh.url, world["id"], _token(fresh.url, RESEARCHER))
    finally:
        fresh.stop()
    assert resp.status_code == 200 and resp.content == world["data"].read_bytes()
    from aitrail.cid import CID

    assert CID.decode(victim.name).verify(victim.read_bytes())  # replaced by the verified block
    nonces = homes["gateway"] / "gateway-nonces"
    assert oct(nonces.stat().st_mode & 0o777) == "0o600"


def test_range_request_serves_exactly_those_bytes(world):
    url = world["gateway"].url
    data = world["data"].read_bytes()
    token = _token(url, RESEARCHER)
    for start, end in ((0, 99), ((1 << 20) - 5, (1 << 20) + 5), (SIZE - 7, SIZE - 1), (3 << 20, None)):
        spec = f"bytes={start}-{'' if end is None else end}"
        resp = _get(url, world["id"], token, Range=spec)
        assert resp.status_code == 206, resp.text
        stop = SIZE - 1 if end is None else end
        assert resp.headers["Content-Range"] == f"bytes {start}-{stop}/{SIZE}"
        assert resp.content == data[start : stop + 1]
    assert _get(url, world["id"], token, Range=f"bytes={SIZE}-").status_code == 416


def _error_line(resp):
    body = resp.json()
    assert set(body) >= {"error"} and "\n" not in body["error"]
    return body["error"]


def test_bad_sign_in_is_refused_with_401(world):
    url = world["gateway"].url
    assert _get(url, world["id"], None).status_code == 401
    assert _get(url, world["id"], "made-up-token").status_code == 401

    resp, _ = _login(url, RESEARCHER, signer=STRANGER)  # another address's signature
    assert resp.status_code == 401
    assert (
        f"the signature is {dev_account(STRANGER).address}'s, not {dev_account(RESEARCHER).address}'s"
        in _error_line(resp)
    )

    resp, body = _login(url, RESEARCHER)
    assert resp.status_code == 200
    replay = requests.post(f"{url}/siwe/login", json=body, timeout=10)
    assert replay.status_code == 401 and "already used (replayed message)" in _error_line(replay)

    cases = {
        "expired": (dict(expires_in=-5), "the message expired at"),
        "domain": (dict(domain="evil.example:443"), "the message is for domain 'evil.example:443'"),
        "chain": (dict(chain_id=1), "the message is for chain 1"),
        "nonce": (dict(nonce="notissuedbyus1"), "was not issued by this gateway"),
    }
    for name, (kwargs, words) in cases.items():
        resp, _ = _login(url, RESEARCHER, **kwargs)
        assert resp.status_code == 401, name
        assert words in _error_line(resp), (name, resp.text)

    resp, body = _login(url, RESEARCHER)
    tampered = dict(body, signature=body["signature"][:-4] + "0000")
    resp = requests.post(f"{url}/siwe/login", json=tampered, timeout=10)
    assert resp.status_code == 401
    garbage = requests.post(f"{url}/siwe/login", data=b"not json", timeout=10)
    assert garbage.status_code == 400 and _error_line(garbage)


def test_bad_requests_get_a_clear_status_and_no_data(world):
    url = world["gateway"].url
    token = _token(url, RESEARCHER)
    for raw in ("abc", "0", "1e3", "-1", "9" * 20):
        resp = _get(url, raw, token)
        assert resp.status_code == 400, raw
        assert "malformed dataset id" in _error_line(resp)
    resp = _get(url, 12345, token)
    assert resp.status_code == 404 and "not served by this gateway" in _error_line(resp)
    for path in (
        "/datasets/../../etc/passwd",
        "/datasets/1/../../x",
        "/etc/passwd",
        "/datasets/%2e%2e%2fkey",
    ):
        with socket.create_connection(("127.0.0.1", world["gateway"].port)) as s:
            s.sendall(
                f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        status = int(reply.split(b" ", 2)[1])
        assert status in (400, 404), (path, reply[:200])
        assert len(reply) < 1000
    resp = _get(url, world["id"], token, **{"X-Padding": "a" * 10_000})
    assert resp.status_code == 413 and "exceed" in _error_line(resp)
    resp = _get(url, world["id"], token, Range="bytes=1-2,5-6")
    assert resp.status_code == 400 and "unsupported Range" in _error_line(resp)


def test_rate_limit_answers_429_with_retry_after(world, homes, devchain, ipfs_node):
    port = free_port()
    env = _env(homes["gateway"], devchain, ipfs_node, GATEWAY)
    strict = GatewayProcess(homes["gateway"], env, port, "--rate", "0.2", "--burst", "2").start()
    try:
        token = _token(strict.url, STRANGER)
        statuses = [_get(strict.url, world["id"], token).status_code for _ in range(3)]
        assert statuses[:2] == [403, 403]
        limited = _get(strict.url, world["id"], token)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 5
        assert "rate limit" in _error_line(limited)
    finally:
        strict.stop()


def test_denials_beyond_the_gateway_wide_budget_are_refused_unrecorded(world, homes, devchain, ipfs_node):
    """Throwaway keys sign in for free but each recorded denial costs the gateway gas: past the budget,
    predicted denials get 429 and no transaction, while a granted researcher is still served."""
    port = free_port()
    env = _env(homes["gateway"], devchain, ipfs_node, GATEWAY)
    frugal = GatewayProcess(homes["gateway"], env, port, "--denials-per-minute", "2").start()
    try:
        before = len(_records(devchain, world))
        token = _token(frugal.url, STRANGER)
        assert [_get(frugal.url, world["id"], token).status_code for _ in range(2)] == [403, 403]
        spent = _get(frugal.url, world["id"], token)
        assert spent.status_code == 429 and "not recorded" in _error_line(spent)
        assert int(spent.headers["Retry-After"]) >= 1
        assert len(_records(devchain, world)) == before + 2
        granted = _get(frugal.url, world["id"], _token(frugal.url, RESEARCHER), Range="bytes=0-9")
        assert granted.status_code == 206 and granted.content == world["data"].read_bytes()[:10]
    finally:
        frugal.stop()


def test_revocation_stops_the_next_request(run, world, devchain):
    url = world["gateway"].url
    researcher = dev_account(RESEARCHER).address
    token = _token(url, RESEARCHER)
    assert _get(url, world["id"], token, Range="bytes=0-9").status_code == 206
    run("owner", "access", "revoke", world["id"], researcher, account=OWNER)
    resp = _get(url, world["id"], token, Range="bytes=0-9")
    assert resp.status_code == 403 and "no grant" in _error_line(resp)
    assert (researcher, False, 1, resp.json()["tx"]) in _records(devchain, world)
    run("owner", "access", "grant", world["id"], researcher, "--days", 30, account=OWNER)
    assert _get(url, world["id"], token, Range="bytes=0-9").status_code == 206


def test_a_request_in_flight_when_the_grant_ends_finishes(run, world):
    """Documented choice: access is decided once per request, so a transfer that began allowed finishes."""
    url = world["gateway"].url
    researcher = dev_account(RESEARCHER).address
    token = _token(url, RESEARCHER)
    resp = requests.get(
        f"{url}/datasets/{world['id']}", headers={"Authorization": f"Bearer {token}"}, stream=True, timeout=60
    )
    assert resp.status_code == 200
    first = next(resp.iter_content(1 << 16))
    run("owner", "access", "revoke", world["id"], researcher, account=OWNER)
    body = first + b"".join(resp.iter_content(1 << 20))
    assert body == world["data"].read_bytes()
    assert _get(url, world["id"], token, Range="bytes=0-0").status_code == 403
    run("owner", "access", "grant", world["id"], researcher, "--days", 30, account=OWNER)


def test_rpc_down_answers_503_and_no_data(world):
    url = world["gateway"].url
    token = _token(url, RESEARCHER)
    world["relay"].open = False
    try:
        resp = _get(url, world["id"], token)
        assert resp.status_code == 503
        assert "cannot check the chain, so nothing is served" in _error_line(resp)
        assert len(resp.content) < 600
    finally:
        world["relay"].open = True
    assert _get(url, world["id"], token, Range="bytes=0-0").status_code == 206


def test_gateway_killed_mid_download_then_restarted_the_client_resumes(
    world, homes, devchain, ipfs_node, tmp_path
):
    port = free_port()
    env = _env(homes["gateway"], devchain, ipfs_node, GATEWAY)
    slow = GatewayProcess(homes["gateway"], env, port, "--stream-rate", str(1 << 20)).start()
    out = tmp_path / "resumed"
    client = subprocess.Popen(
        [AITRAIL, "--json", "dataset", "fetch", str(world["id"]), "-o", str(out), "--gateway", slow.url],
        env=_env(homes["researcher"], devchain, ipfs_node, RESEARCHER),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        partial = None
        while time.monotonic() < deadline:
            parts = list(out.glob(".aitrail-gateway-*.part")) if out.exists() else []
            if parts and parts[0].stat().st_size > (1 << 20):
                partial = parts[0]
                break
            time.sleep(0.1)
        assert partial is not None, "the download never got going"
        assert oct(partial.stat().st_mode & 0o777) == "0o600"
        # The partial is not plaintext: its bytes differ from the dataset's at the same offsets.
        have = partial.read_bytes()
        assert have[:4096] != world["data"].read_bytes()[:4096]
        _, used_before = _login(slow.url, STRANGER)  # signed in once before the crash
        slow.kill()
        time.sleep(1.0)
        slow.start()
        replay = requests.post(f"{slow.url}/siwe/login", json=used_before, timeout=10)
        assert replay.status_code == 401 and "already used (replayed message)" in _error_line(replay)
        stdout, stderr = client.communicate(timeout=120)
    finally:
        if client.poll() is None:
            client.kill()
        slow.stop()
    assert client.returncode == 0, stderr
    result = json.loads(stdout)
    assert Path(result["path"]).read_bytes() == world["data"].read_bytes()
    assert result["resumedAt"] and result["resumedAt"][0] >= (1 << 20)
    assert "resuming at byte" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["scans.bin"]


def test_expiry_mid_life_is_denied_and_recorded(run, world, devchain):
    url = world["gateway"].url
    researcher = dev_account(RESEARCHER).address
    token = _token(url, RESEARCHER)
    w3 = _w3(devchain)
    w3.provider.make_request("evm_increaseTime", [31 * DAY])
    w3.provider.make_request("evm_mine", [])
    resp = _get(url, world["id"], token)
    assert resp.status_code == 403
    assert "grant expired" in _error_line(resp)
    assert (researcher, False, 2, resp.json()["tx"]) in _records(devchain, world)
    trail = run("researcher", "audit", "dataset", world["id"])
    assert trail["trail"][-1]["detail"] == (
        f"{researcher} via gateway {world['address']}: DENIED, grant expired (recorded by the gateway)"
    )


def test_corrupt_block_names_the_cid_and_cuts_before_bad_bytes(
    run, world, homes, devchain, ipfs_node, tmp_path
):
    """A second gateway reads a stand-in IPFS API over a copy of the blocks, one corrupted on its disk."""
    from aitrail.cid import CID
    from aitrail.storage.kubo import KuboStore
    from tests.storage.kubo_rpc_server import KuboStandIn

    researcher = dev_account(RESEARCHER).address
    run("owner", "access", "grant", world["id"], researcher, "--days", 30, account=OWNER)
    standin = KuboStandIn(tmp_path / "standin").start()
    try:
        real = KuboStore(ipfs_node.api_url)
        shown = run("researcher", "dataset", "show", world["id"])
        # What the gateway reads: the dataset, its metadata, and its wrapped key (named by GatewaySet).
        roots = [CID.decode(shown["cid"]), CID.decode(shown["metadataCid"])]
        (handed,) = _gateway_sets(devchain, world)
        roots.append(CID.from_onchain(bytes(handed["args"]["keyRef"]), 2))
        for root in roots:
            for cid, block in real.walk(root):
                standin.store.put_block(cid, block)
        leaves = [cid for cid, _ in real.walk(roots[0]) if cid != roots[0]]
        bad = leaves[len(leaves) // 2]
        key = bad.to_v1().encode()
        path = standin.store.blocks_dir / key[-2:] / key
        original = path.read_bytes()
        path.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))

        port = free_port()
        env = _env(homes["gateway2"], devchain, ipfs_node, GATEWAY, ipfs=standin.api_url)
        run("gateway2", "deploy", "--find")
        second = GatewayProcess(homes["gateway2"], env, port).start()
        try:
            token = _token(second.url, RESEARCHER)
            resp = requests.get(
                f"{second.url}/datasets/{world['id']}",
                headers={"Authorization": f"Bearer {token}"},
                stream=True,
                timeout=60,
            )
            assert resp.status_code == 200
            got = b""
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                for chunk in resp.iter_content(1 << 16):
                    got += chunk
            data = world["data"].read_bytes()
            assert 0 < len(got) < SIZE and got == data[: len(got)]  # only good bytes, then the cut
            # Resuming at the cut meets the bad block first: an error naming its CID, before any byte.
            retry = _get(second.url, world["id"], token, Range=f"bytes={len(got)}-")
            assert retry.status_code == 502
            assert str(bad) in _error_line(retry)
            out = tmp_path / "bad"
            refused = run(
                "researcher",
                "dataset",
                "fetch",
                world["id"],
                "-o",
                out,
                "--gateway",
                second.url,
                account=RESEARCHER,
                ok=False,
                timeout=200,
            )
            assert str(bad) in refused
            assert not out.exists()  # not even the folder the fetch created
        finally:
            second.stop()
    finally:
        standin.stop()
