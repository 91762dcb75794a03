"""Backend selection by configuration, and the CID benchmark command on a small file."""

import pytest

from aitrail.errors import ConfigError
from aitrail.storage import DEFAULT_API, KuboStore, LocalStore, open_store
from bench import cid as bench


def test_local_is_the_default_under_aitrail_home(tmp_path, monkeypatch):
    monkeypatch.delenv("AITRAIL_STORE", raising=False)
    monkeypatch.setenv("AITRAIL_HOME", str(tmp_path))
    store = open_store()
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "store"


def test_kubo_by_environment(monkeypatch, ipfs_node):
    monkeypatch.setenv("AITRAIL_STORE", "kubo")
    monkeypatch.setenv("AITRAIL_IPFS_API", ipfs_node.api_url)
    store = open_store()
    assert isinstance(store, KuboStore)
    assert store.version() == "0.18.1"


def test_kubo_default_api_address(monkeypatch):
    monkeypatch.delenv("AITRAIL_IPFS_API", raising=False)
    assert open_store("kubo").api_url == DEFAULT_API == "http://127.0.0.1:5001"


def test_unknown_backend_names_the_choices():
    with pytest.raises(ConfigError, match="unknown storage backend 'ipfs-cluster': use one of local, kubo"):
        open_store("ipfs-cluster")


def test_bench_runs_and_agrees_with_itself():
    res = bench.run(1 << 20, runs=1, kubo=False)
    assert res["aitrail_v0"]["cid"] == res["aitrail_v0_1thread"]["cid"]
    assert res["aitrail_v0"]["cid"].startswith("Qm")
    assert res["aitrail_v1"]["cid"].startswith("bafybei")
