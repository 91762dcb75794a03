"""The brownie deploy script is the SDK's idempotent deploy; the demo runs its whole scenario."""


import aitrail.demo
import scripts.deploy as deploy_script
from aitrail.storage.jsipfs import JsIpfsNode, JsIpfsUnavailable


def test_deploy_script_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.setenv("AITRAIL_HOME", str(tmp_path))
    monkeypatch.delenv("AITRAIL_ACCOUNT", raising=False)
    first = deploy_script.main()
    second = deploy_script.main()
    assert second == first
    assert set(first) == {
        "DatasetRegistry", "ModelRegistry", "RewardToken", "Rewards", "AccessMarket", "FederatedTraining"
    }


def test_demo_runs_the_whole_scenario_in_three_homes_on_the_real_ipfs_node(capsys, monkeypatch):
    monkeypatch.delenv("AITRAIL_HOME", raising=False)
    assert aitrail.demo.main([]) == 0
    out = capsys.readouterr().out
    assert "store: a real IPFS node (js-ipfs, Kubo RPC at http://127.0.0.1:" in out
    assert "the researcher's home found the suite on the chain" in out
    assert "the auditor's home found the suite on the chain" in out
    assert "purpose: 'Train a benign/malignant classifier for a screening study'" in out
    for expected in (
        "dataset 1: CID",
        "access check logged on-chain as ALLOWED",
        "model 'wdbc-screening' version 1 published",
        "citation reward credited",
        "the researcher's next fetch is refused",
        "denied attempt recorded",
        "a copy with one flipped bit: intact=False",
        "is not a published model version",
        "fetch attempt: access check DENIED",
        "demo finished in",
    ):
        assert expected in out, expected


def test_demo_without_the_node_falls_back_to_the_embedded_store_and_says_so(capsys, monkeypatch):
    def unavailable(*args, **kwargs):
        raise JsIpfsUnavailable("no `node` on PATH")

    monkeypatch.delenv("AITRAIL_HOME", raising=False)
    monkeypatch.setattr(JsIpfsNode, "start", unavailable)
    assert aitrail.demo.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("store: the embedded store (cannot start the js-ipfs node: no `node` on PATH;")
    assert "found the suite on the chain" not in out
    assert "fetch attempt: access check DENIED" in out
