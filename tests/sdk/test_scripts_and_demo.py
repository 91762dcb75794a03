"""The brownie deploy script is the SDK's idempotent deploy; the demo runs its whole scenario."""


import aitrail.demo
import scripts.deploy as deploy_script


def test_deploy_script_is_idempotent(tmp_path, monkeypatch):
    monkeypatch.setenv("AITRAIL_HOME", str(tmp_path))
    monkeypatch.delenv("AITRAIL_ACCOUNT", raising=False)
    first = deploy_script.main()
    second = deploy_script.main()
    assert second == first
    assert set(first) == {"DatasetRegistry", "ModelRegistry", "RewardToken", "Rewards", "AccessMarket"}


def test_demo_runs_the_whole_scenario(capsys, monkeypatch):
    monkeypatch.delenv("AITRAIL_HOME", raising=False)
    assert aitrail.demo.main([]) == 0
    out = capsys.readouterr().out
    for expected in (
        "dataset 1: CID",
        "fetch logged on-chain as ALLOWED",
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
