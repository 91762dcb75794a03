"""FederatedTraining: tasks, participants' access, update and aggregate commits, the reward pool."""

import brownie
import pytest
from brownie import chain
from conftest import DAY, cid, err, grant, revoke_access, withdraw_dataset

POOL = 3_000 * 10**18
ROUNDS = 3
RULE = "MultiKrum f=1 keep=4"


def create(fl, token, fund, coordinator, model_id, hospitals, ids, pool=POOL, rounds=ROUNDS):
    fund(coordinator, pool)
    token.approve(fl, pool, {"from": coordinator})
    return fl.createTask(model_id, RULE, rounds, hospitals, ids, pool, {"from": coordinator})


@pytest.fixture
def task(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets):
    create(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets)
    return fl.taskCount()


def d(n):
    return (0xF1 * 2**240 + n).to_bytes(32, "big")


def commit_all(fl, task, rnd, hospitals, skip=()):
    for i, h in enumerate(hospitals):
        if i not in skip:
            fl.commitUpdate(task, rnd, d(100 * rnd + i), cid(100 * rnd + i), {"from": h})


# --- creation -----------------------------------------------------------------------------------


def test_create_task_escrows_the_pool_and_emits(
    fl, token, fund, coordinator, model_id, hospitals, hospital_datasets
):
    tx = create(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets)
    assert tx.events["TaskCreated"] == {
        "taskId": 1,
        "coordinator": coordinator,
        "modelId": model_id,
        "rule": RULE,
        "rounds": ROUNDS,
        "pool": POOL,
    }
    added = tx.events["ParticipantAdded"]
    assert [(e["participant"], e["datasetId"], e["index"]) for e in added] == [
        (h, ds, i + 1) for i, (h, ds) in enumerate(zip(hospitals, hospital_datasets, strict=True))
    ]
    assert token.balanceOf(fl) == POOL
    t = fl.getTask(1)
    assert (t["coordinator"], t["rounds"], t["aggregatedRounds"], t["participantCount"]) == (
        coordinator,
        ROUNDS,
        0,
        5,
    )
    assert (t["closed"], t["modelId"], t["pool"], t["credited"]) == (False, model_id, POOL, 0)
    assert fl.participantOf(1, hospitals[2])["index"] == 3
    assert fl.participantAt(1, 3) == hospitals[2]
    assert fl.participantOf(1, coordinator)["index"] == 0


def test_create_refused_for_a_participant_without_access(
    fl, token, fund, coordinator, model_id, hospitals, hospital_datasets, stranger
):
    ids = list(hospital_datasets)
    ids[1] = hospital_datasets[0]  # hospital 2 lists hospital 1's dataset, which it cannot access
    with brownie.reverts(err("FLDatasetNotAccessible", hospital_datasets[0], hospitals[1])):
        create(fl, token, fund, coordinator, model_id, hospitals, ids)
    with brownie.reverts(err("FLDatasetNotAccessible", 999, stranger)):
        create(fl, token, fund, coordinator, model_id, [stranger], [999])


def test_create_accepts_a_grantee(
    fl, token, fund, coordinator, model_id, hospitals, hospital_datasets, datasets, stranger
):
    grant(datasets, hospitals[0], hospital_datasets[0], stranger)
    tx = create(fl, token, fund, coordinator, model_id, [stranger], [hospital_datasets[0]])
    assert tx.events["ParticipantAdded"]["participant"] == stranger


def test_create_refused_for_withdrawn_dataset(
    fl, token, fund, coordinator, model_id, hospitals, hospital_datasets, datasets
):
    withdraw_dataset(datasets, hospitals[0], hospital_datasets[0])
    with brownie.reverts(err("FLDatasetNotAccessible", hospital_datasets[0], hospitals[0])):
        create(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets)


def test_create_only_by_model_owner(fl, token, fund, stranger, model_id, hospitals, hospital_datasets):
    with brownie.reverts(err("FLNotModelOwner", model_id, stranger)):
        create(fl, token, fund, stranger, model_id, hospitals, hospital_datasets)


def test_create_refuses_malformed_lists(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets):
    with brownie.reverts(err("FLListLengthMismatch", 5, 4)):
        create(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets[:4])
    with brownie.reverts(err("FLParticipantInvalid", hospitals[0])):
        create(fl, token, fund, coordinator, model_id, [hospitals[0]] * 2, [hospital_datasets[0]] * 2)
    with brownie.reverts(err("FLParticipantCountInvalid", 0, 256)):
        create(fl, token, fund, coordinator, model_id, [], [])
    with brownie.reverts(err("FLRoundsInvalid", 0, 10_000)):
        create(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets, rounds=0)


def test_create_refused_without_allowance(fl, coordinator, model_id, hospitals, hospital_datasets):
    with brownie.reverts():
        fl.createTask(model_id, RULE, ROUNDS, hospitals, hospital_datasets, POOL, {"from": coordinator})
    assert fl.taskCount() == 0


# --- updates ------------------------------------------------------------------------------------


def test_commit_update_emits(fl, task, hospitals):
    tx = fl.commitUpdate(task, 1, d(1), cid(1, 1), {"from": hospitals[0]})
    event = tx.events["UpdateCommitted"]
    assert (event["taskId"], event["round"], event["participant"]) == (task, 1, hospitals[0])
    assert bytes(event["digest"]) == d(1)
    assert (bytes(event["cid"][0]), int(event["cid"][1])) == (cid(1)[0], 1)
    assert fl.participantOf(task, hospitals[0])["committedRound"] == 1


def test_commit_update_refused_for_stranger_and_coordinator(fl, task, stranger, coordinator):
    for who in (stranger, coordinator):
        with brownie.reverts(err("FLNotParticipant", task, who)):
            fl.commitUpdate(task, 1, d(1), cid(1), {"from": who})


def test_commit_update_once_per_round(fl, task, hospitals):
    fl.commitUpdate(task, 1, d(1), cid(1), {"from": hospitals[0]})
    with brownie.reverts(err("FLUpdateAlreadyCommitted", task, 1, hospitals[0])):
        fl.commitUpdate(task, 1, d(2), cid(2), {"from": hospitals[0]})


def test_commit_update_only_for_the_open_round(fl, task, hospitals):
    with brownie.reverts(err("FLRoundNotOpen", task, 2, 1)):
        fl.commitUpdate(task, 2, d(1), cid(1), {"from": hospitals[0]})
    with brownie.reverts(err("FLTaskUnknown", 77)):
        fl.commitUpdate(77, 1, d(1), cid(1), {"from": hospitals[0]})


def test_commit_update_refuses_zero_digest_and_bad_cid(fl, task, hospitals):
    with brownie.reverts(err("FLDigestZero")):
        fl.commitUpdate(task, 1, b"\x00" * 32, cid(1), {"from": hospitals[0]})
    with brownie.reverts(err("FLCidKindInvalid", 3)):
        fl.commitUpdate(task, 1, d(1), cid(1, 3), {"from": hospitals[0]})


def test_commit_update_refused_after_access_ends(
    fl, token, fund, coordinator, model_id, datasets, hospitals, hospital_datasets, stranger
):
    """A grantee participant whose grant expires (time jump) or is revoked can no longer contribute."""
    grant(datasets, hospitals[0], hospital_datasets[0], stranger, days=1)
    grant(datasets, hospitals[1], hospital_datasets[1], hospitals[2], days=30)
    create(fl, token, fund, coordinator, model_id, [stranger, hospitals[2]], hospital_datasets[:2], rounds=1)
    chain.sleep(2 * DAY)
    chain.mine()
    with brownie.reverts(err("FLDatasetNotAccessible", hospital_datasets[0], stranger)):
        fl.commitUpdate(1, 1, d(1), cid(1), {"from": stranger})
    revoke_access(datasets, hospitals[1], hospital_datasets[1], hospitals[2])
    with brownie.reverts(err("FLDatasetNotAccessible", hospital_datasets[1], hospitals[2])):
        fl.commitUpdate(1, 1, d(2), cid(2), {"from": hospitals[2]})


# --- aggregates and rewards ---------------------------------------------------------------------


def test_aggregate_records_included_and_excluded_and_credits_the_formula(fl, task, hospitals, coordinator):
    commit_all(fl, task, 1, hospitals, skip=(3,))  # hospital 4 sends nothing
    included = 0b10111 & ~(1 << 3) & ~(1 << 4) | 0b00111  # hospitals 1-3; hospital 5 is excluded
    tx = fl.commitAggregate(task, 1, d(999), cid(999), included, {"from": coordinator})
    each = POOL // ROUNDS // 3
    event = tx.events["AggregateCommitted"]
    assert (event["taskId"], event["round"], bytes(event["digest"])) == (task, 1, d(999))
    assert (bytes(event["cid"][0]), int(event["cid"][1])) == (cid(999)[0], 0)
    assert (event["committedMask"], event["includedMask"], event["rewardEach"]) == (0b10111, 0b00111, each)
    earned = [fl.participantOf(task, h)["earned"] for h in hospitals]
    assert earned == [each, each, each, 0, 0]
    assert fl.getTask(task)["credited"] == 3 * each
    assert fl.getTask(task)["aggregatedRounds"] == 1
    # round 2 is open now, round 1 closed
    with brownie.reverts(err("FLRoundNotOpen", task, 1, 2)):
        fl.commitUpdate(task, 1, d(5), cid(5), {"from": hospitals[3]})
    fl.commitUpdate(task, 2, d(5), cid(5), {"from": hospitals[3]})


def test_aggregate_only_by_coordinator(fl, task, hospitals, stranger):
    commit_all(fl, task, 1, hospitals)
    for who in (stranger, hospitals[0]):
        with brownie.reverts(err("FLNotCoordinator", task, who)):
            fl.commitAggregate(task, 1, d(9), cid(9), 0b11111, {"from": who})
    with brownie.reverts(err("FLTaskUnknown", 42)):
        fl.commitAggregate(42, 1, d(9), cid(9), 1, {"from": stranger})


def test_aggregate_cannot_include_a_missing_update(fl, task, hospitals, coordinator):
    commit_all(fl, task, 1, hospitals, skip=(2,))
    with brownie.reverts(err("FLIncludedWithoutUpdate", task, 1, 3)):
        fl.commitAggregate(task, 1, d(9), cid(9), 0b00100, {"from": coordinator})
    with brownie.reverts(err("FLIncludedWithoutUpdate", task, 1, 6)):
        fl.commitAggregate(task, 1, d(9), cid(9), 0b100011, {"from": coordinator})
    with brownie.reverts(err("FLDigestZero")):
        fl.commitAggregate(task, 1, b"\x00" * 32, cid(9), 1, {"from": coordinator})


def test_round_without_included_updates_credits_nothing_and_close_refunds(
    fl, task, hospitals, coordinator, token
):
    commit_all(fl, task, 1, hospitals)
    tx = fl.commitAggregate(task, 1, d(9), cid(9), 0, {"from": coordinator})
    assert tx.events["AggregateCommitted"]["rewardEach"] == 0
    before = token.balanceOf(coordinator)
    tx = fl.closeTask(task, {"from": coordinator})
    assert tx.events["TaskClosed"] == {"taskId": task, "refund": POOL}
    assert token.balanceOf(coordinator) == before + POOL
    assert token.balanceOf(fl) == 0


def test_all_rounds_then_no_round_open(fl, task, hospitals, coordinator):
    for rnd in range(1, ROUNDS + 1):
        commit_all(fl, task, rnd, hospitals)
        fl.commitAggregate(task, rnd, d(900 + rnd), cid(9), 0b01111, {"from": coordinator})
    with brownie.reverts(err("FLRoundNotOpen", task, ROUNDS + 1, 0)):
        fl.commitUpdate(task, ROUNDS + 1, d(1), cid(1), {"from": hospitals[0]})
    each = POOL // ROUNDS // 4
    assert [fl.participantOf(task, h)["earned"] for h in hospitals] == [each * ROUNDS] * 4 + [0]
    assert fl.getTask(task)["credited"] == each * 4 * ROUNDS <= POOL


def test_claim_transfers_earned_once(fl, task, hospitals, coordinator, token):
    commit_all(fl, task, 1, hospitals)
    fl.commitAggregate(task, 1, d(9), cid(9), 0b00001, {"from": coordinator})
    each = POOL // ROUNDS
    tx = fl.claimReward(task, {"from": hospitals[0]})
    assert tx.events["RewardClaimed"] == {"taskId": task, "participant": hospitals[0], "amount": each}
    assert token.balanceOf(hospitals[0]) == each
    with brownie.reverts(err("FLNothingToClaim", task, hospitals[0])):
        fl.claimReward(task, {"from": hospitals[0]})
    with brownie.reverts(err("FLNothingToClaim", task, hospitals[1])):
        fl.claimReward(task, {"from": hospitals[1]})


def test_claim_refused_for_stranger(fl, task, stranger):
    with brownie.reverts(err("FLNotParticipant", task, stranger)):
        fl.claimReward(task, {"from": stranger})


def test_close_only_by_coordinator_once_and_credits_survive(
    fl, task, hospitals, coordinator, stranger, token
):
    commit_all(fl, task, 1, hospitals)
    fl.commitAggregate(task, 1, d(9), cid(9), 0b00011, {"from": coordinator})
    with brownie.reverts(err("FLNotCoordinator", task, stranger)):
        fl.closeTask(task, {"from": stranger})
    tx = fl.closeTask(task, {"from": coordinator})
    each = POOL // ROUNDS // 2
    assert tx.events["TaskClosed"]["refund"] == POOL - 2 * each
    with brownie.reverts(err("FLTaskClosed", task)):
        fl.closeTask(task, {"from": coordinator})
    with brownie.reverts(err("FLTaskClosed", task)):
        fl.commitUpdate(task, 2, d(1), cid(1), {"from": hospitals[0]})
    with brownie.reverts(err("FLTaskClosed", task)):
        fl.commitAggregate(task, 2, d(1), cid(1), 0, {"from": coordinator})
    fl.claimReward(task, {"from": hospitals[1]})
    assert token.balanceOf(hospitals[1]) == each
    assert token.balanceOf(fl) == each  # hospital 1's credit, still claimable


def test_front_running_copy_of_an_update_commit_earns_nothing_when_excluded(fl, task, hospitals, coordinator):
    """A participant copying another's pending commit (same digest and CID) lands on-chain, but the copy
    names the other participant inside the encoded update (aitrail.fl.encoding binds the committer), so the
    coordinator excludes it (`aitrail fl verify` flags an aggregate that includes it) and it earns nothing."""
    fl.commitUpdate(task, 1, d(1), cid(1), {"from": hospitals[1]})  # the copier, first
    fl.commitUpdate(task, 1, d(1), cid(1), {"from": hospitals[0]})  # the original is not blocked
    fl.commitAggregate(task, 1, d(9), cid(9), 0b00001, {"from": coordinator})
    assert fl.participantOf(task, hospitals[1])["earned"] == 0
    assert fl.participantOf(task, hospitals[0])["earned"] == POOL // ROUNDS


def test_deploy_refuses_zero_addresses(FederatedTraining, admin, datasets, models, token):
    with brownie.reverts(err("FLZeroAddress")):
        FederatedTraining.deploy(datasets, models, brownie.ZERO_ADDRESS, {"from": admin})
    with brownie.reverts(err("FLZeroAddress")):
        FederatedTraining.deploy(brownie.ZERO_ADDRESS, models, token, {"from": admin})


def test_get_task_unknown(fl):
    with brownie.reverts(err("FLTaskUnknown", 5)):
        fl.getTask(5)
