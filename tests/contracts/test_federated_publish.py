"""The final model of a federated task: ModelRegistry's attested path (publishFederatedVersion), called only
by the wired FederatedTraining (publishFinalModel), with the weights digest reserved at the last round."""

import hashlib

import brownie
import pytest
from brownie import ZERO_ADDRESS, chain
from conftest import (
    DAY,
    MIN_COMMIT_AGE,
    cid,
    commitment,
    err,
    grant,
    salt,
    withdraw_dataset,
)

POOL = 3_000 * 10**18
ROUNDS = 2
RULE = "MultiKrum f=1 keep=4"
ALL_BUT_LAST = 0b01111  # hospital 5 (the Byzantine one) is excluded in every round


def aggregate(task, rnd):
    return hashlib.sha256(b"aggregate %d %d" % (task, rnd)).digest()


def weights(aggregate_digest):
    """The weights digest of the one-file model holding the aggregate: SHA-256 of its SHA-256."""
    return hashlib.sha256(aggregate_digest).digest()


def new_task(fl, token, fund, coordinator, model_id, people, ids, rounds=ROUNDS):
    fund(coordinator, POOL)
    token.approve(fl, POOL, {"from": coordinator})
    return fl.createTask(model_id, RULE, rounds, people, ids, POOL, {"from": coordinator}).return_value


def run_round(fl, task, rnd, people, coordinator, mask, skip=()):
    for i, who in enumerate(people):
        if i not in skip:
            fl.commitUpdate(task, rnd, aggregate(1000 + task, 10 * rnd + i), cid(rnd * 10 + i), {"from": who})
    return fl.commitAggregate(task, rnd, aggregate(task, rnd), cid(900 + rnd), mask, {"from": coordinator})


@pytest.fixture
def finished(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets):
    """A task whose two rounds are aggregated, hospital 5 excluded from both; its final weights digest."""
    task = new_task(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets)
    for rnd in range(1, ROUNDS + 1):
        run_round(fl, task, rnd, hospitals, coordinator, ALL_BUT_LAST)
    return task, weights(aggregate(task, ROUNDS))


def publish(fl, task, digest, ids, who):
    return fl.publishFinalModel(task, digest, cid(7, 1), cid(8, 1), list(ids), {"from": who})


# --- wiring ---------------------------------------------------------------------------------------


def test_set_federated_training_once_by_the_deployer(
    ModelRegistry, FederatedTraining, admin, datasets, rewards, token, stranger
):
    registry = ModelRegistry.deploy(datasets, rewards, MIN_COMMIT_AGE, {"from": admin})
    federated = FederatedTraining.deploy(datasets, registry, token, {"from": admin})
    assert registry.federatedTrainingOf() == ZERO_ADDRESS
    with brownie.reverts(err("ModelNotDeployer", stranger)):
        registry.setFederatedTraining(federated, {"from": stranger})
    with brownie.reverts(err("ModelZeroAddress")):
        registry.setFederatedTraining(ZERO_ADDRESS, {"from": admin})
    tx = registry.setFederatedTraining(federated, {"from": admin})
    assert tx.events["FederatedTrainingSet"] == {"federatedTraining": federated}
    assert registry.federatedTrainingOf() == federated
    with brownie.reverts(err("ModelFederatedTrainingSet", federated)):
        registry.setFederatedTraining(federated, {"from": admin})


def test_set_federated_training_refuses_one_of_another_registry(
    ModelRegistry, FederatedTraining, admin, datasets, rewards, token, models
):
    registry = ModelRegistry.deploy(datasets, rewards, MIN_COMMIT_AGE, {"from": admin})
    elsewhere = FederatedTraining.deploy(datasets, models, token, {"from": admin})
    assert elsewhere.modelRegistry() == models
    with brownie.reverts(err("ModelFederatedTrainingMismatch", elsewhere, models)):
        registry.setFederatedTraining(elsewhere, {"from": admin})


def test_no_task_before_the_registry_names_the_contract(
    ModelRegistry, FederatedTraining, admin, datasets, rewards, token, fund, coordinator, hospitals,
    hospital_datasets,
):
    registry = ModelRegistry.deploy(datasets, rewards, MIN_COMMIT_AGE, {"from": admin})
    federated = FederatedTraining.deploy(datasets, registry, token, {"from": admin})
    registry.registerModel("early", {"from": coordinator})
    with brownie.reverts(err("FLNotWired", ZERO_ADDRESS)):
        federated.createTask(1, RULE, 1, hospitals[:1], hospital_datasets[:1], 0, {"from": coordinator})


def test_registry_entries_refused_to_everyone_but_the_contract(models, model_id, coordinator, stranger, fl):
    for who in (stranger, coordinator):
        with brownie.reverts(err("ModelNotFederatedTraining", who, fl)):
            models.reserveFederatedDigest(b"\x01" * 32, 1, {"from": who})
        with brownie.reverts(err("ModelNotFederatedTraining", who, fl)):
            models.publishFederatedVersion(
                (model_id, coordinator, 1, 1, b"\x01" * 32, cid(1), cid(2)), [1], {"from": who}
            )


# --- the reservation ------------------------------------------------------------------------------


def test_last_round_reserves_the_final_weights_digest(
    fl, models, token, fund, coordinator, model_id, hospitals, hospital_datasets
):
    task = new_task(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets)
    first = run_round(fl, task, 1, hospitals, coordinator, ALL_BUT_LAST)
    assert "FederatedDigestReserved" not in first.events
    assert models.reservedFor(weights(aggregate(task, 1))) == 0
    last = run_round(fl, task, 2, hospitals, coordinator, ALL_BUT_LAST)
    final = weights(aggregate(task, 2))
    reserved = last.events["FederatedDigestReserved"]
    assert (bytes(reserved["weightsDigest"]), reserved["taskId"]) == (final, task)
    assert models.reservedFor(final) == task
    assert models.versionIdByDigest(final) == 0  # reserved is not published
    assert [fl.participantOf(task, h)["includedRounds"] for h in hospitals] == [2, 2, 2, 2, 0]


def test_reserved_digest_cannot_be_taken_through_the_ordinary_path(models, finished, stranger):
    task, final = finished
    models.commitVersion(commitment(stranger, final, salt(1)), {"from": stranger})
    chain.sleep(MIN_COMMIT_AGE)
    models.registerModel("squatted", {"from": stranger})
    with brownie.reverts(err("ModelDigestReserved", final, task)):
        models.publishVersion(
            models.modelCount(), final, salt(1), cid(1), cid(2), [], [], {"from": stranger}
        )


def test_a_digest_taken_before_the_last_round_leaves_the_round_working(
    fl, models, token, fund, coordinator, model_id, hospitals, hospital_datasets, stranger
):
    """Someone who predicted the final aggregate and published its digest first cannot make the last round
    revert; the task's publication then names the version that holds the digest."""
    task = new_task(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets, rounds=1)
    final = weights(aggregate(task, 1))
    models.commitVersion(commitment(stranger, final, salt(2)), {"from": stranger})
    chain.sleep(MIN_COMMIT_AGE)
    models.registerModel("predicted", {"from": stranger})
    squat = models.publishVersion(
        models.modelCount(), final, salt(2), cid(1), cid(2), [], [], {"from": stranger}
    ).return_value
    last = run_round(fl, task, 1, hospitals, coordinator, ALL_BUT_LAST)
    assert "FederatedDigestReserved" not in last.events
    with brownie.reverts(err("ModelDigestPublished", final, squat)):
        publish(fl, task, final, hospital_datasets[:4], coordinator)


# --- publishing -----------------------------------------------------------------------------------


def test_final_model_cites_the_included_datasets_and_names_the_task(
    fl, models, finished, coordinator, model_id, hospital_datasets
):
    task, final = finished
    tx = publish(fl, task, final, hospital_datasets[:4], coordinator)
    version = tx.return_value
    published = tx.events["VersionPublished"]
    assert (published["modelId"], published["versionId"], published["publisher"]) == (
        model_id,
        version,
        coordinator,
    )
    assert bytes(published["weightsDigest"]) == final
    assert [(e["datasetId"], e["versionId"]) for e in tx.events["DatasetCited"]] == [
        (ds, version) for ds in hospital_datasets[:4]
    ]
    assert tx.events["VersionTrainedFederated"] == {"versionId": version, "taskId": task, "rounds": ROUNDS}
    assert models.versionIdByDigest(final) == version
    assert models.reservedFor(final) == 0
    assert models.getVersion(version)["modelId"] == model_id


def test_final_model_only_by_the_coordinator(fl, finished, hospitals, stranger, hospital_datasets):
    task, final = finished
    for who in (stranger, hospitals[0]):
        with brownie.reverts(err("FLNotCoordinator", task, who)):
            publish(fl, task, final, hospital_datasets[:4], who)
    with brownie.reverts(err("FLTaskUnknown", 99)):
        publish(fl, 99, final, hospital_datasets[:4], stranger)


def test_final_model_once_per_task(fl, finished, coordinator, hospital_datasets):
    task, final = finished
    version = publish(fl, task, final, hospital_datasets[:4], coordinator).return_value
    with brownie.reverts(err("ModelDigestPublished", final, version)):
        publish(fl, task, final, hospital_datasets[:4], coordinator)


def test_final_model_only_when_every_round_is_aggregated(
    fl, token, fund, coordinator, model_id, hospitals, hospital_datasets
):
    task = new_task(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets)
    run_round(fl, task, 1, hospitals, coordinator, ALL_BUT_LAST)
    first = weights(aggregate(task, 1))
    with brownie.reverts(err("FLTaskNotFinished", task, 1, ROUNDS)):
        publish(fl, task, first, hospital_datasets[:4], coordinator)
    fl.closeTask(task, {"from": coordinator})  # closed early: there is no final model
    with brownie.reverts(err("FLTaskNotFinished", task, 1, ROUNDS)):
        publish(fl, task, first, hospital_datasets[:4], coordinator)


def test_other_weights_cannot_cite_the_participants(
    fl, finished, coordinator, hospital_datasets, token, fund, model_id, hospitals
):
    task, final = finished
    other = weights(b"\x42" * 32)
    with brownie.reverts(err("ModelDigestNotReserved", other, task)):
        publish(fl, task, other, hospital_datasets[:4], coordinator)
    # nor the final weights of another task
    second = new_task(fl, token, fund, coordinator, model_id, hospitals, hospital_datasets)
    for rnd in range(1, ROUNDS + 1):
        run_round(fl, second, rnd, hospitals, coordinator, ALL_BUT_LAST)
    with brownie.reverts(err("ModelDigestNotReserved", final, second)):
        publish(fl, second, final, hospital_datasets[:4], coordinator)


def test_citations_must_be_exactly_the_included_datasets(fl, finished, coordinator, hospital_datasets):
    task, final = finished
    ids = hospital_datasets
    with brownie.reverts(err("FLCitationMissing", task, ids[3])):
        publish(fl, task, final, ids[:3], coordinator)
    with brownie.reverts(err("FLCitationNotIncluded", task, ids[4])):
        publish(fl, task, final, ids, coordinator)  # hospital 5 was excluded from every round
    with brownie.reverts(err("FLDatasetsUnsorted", ids[1], ids[0])):
        publish(fl, task, final, [ids[1], ids[0], ids[2], ids[3]], coordinator)
    with brownie.reverts(err("FLDatasetsUnsorted", ids[0], ids[0])):
        publish(fl, task, final, [ids[0], ids[0], ids[1], ids[2]], coordinator)
    with brownie.reverts(err("FLCitationCountInvalid", task, 6, 5)):
        publish(fl, task, final, [*ids, ids[4] + 1], coordinator)
    with brownie.reverts(err("FLCitationMissing", task, ids[0])):
        publish(fl, task, final, [], coordinator)


def test_access_ended_after_an_included_update_is_still_cited(
    fl, datasets, token, fund, coordinator, model_id, hospitals, hospital_datasets, stranger
):
    """The entitlement was checked at each included update: a grant that expires mid-task (time jump) and
    a dataset withdrawn after its last included update do not erase what the model was trained on."""
    grant(datasets, hospitals[0], hospital_datasets[0], stranger, days=1)
    people = [stranger, hospitals[1], hospitals[2]]
    ids = [hospital_datasets[0], hospital_datasets[1], hospital_datasets[2]]
    task = new_task(fl, token, fund, coordinator, model_id, people, ids)
    run_round(fl, task, 1, people, coordinator, 0b111)
    chain.sleep(2 * DAY)
    chain.mine()
    with brownie.reverts(err("FLDatasetNotAccessible", ids[0], stranger)):
        fl.commitUpdate(task, 2, b"\x09" * 32, cid(9), {"from": stranger})
    run_round(fl, task, 2, people, coordinator, 0b110, skip=(0,))
    withdraw_dataset(datasets, hospitals[1], ids[1])
    tx = publish(fl, task, weights(aggregate(task, 2)), sorted(ids), coordinator)
    assert [e["datasetId"] for e in tx.events["DatasetCited"]] == sorted(ids)


def test_participants_on_one_dataset_cite_it_once(
    fl, datasets, token, fund, coordinator, model_id, hospitals, hospital_datasets, stranger
):
    grant(datasets, hospitals[0], hospital_datasets[0], stranger)
    people = [hospitals[0], stranger]
    task = new_task(fl, token, fund, coordinator, model_id, people, [hospital_datasets[0]] * 2, rounds=1)
    run_round(fl, task, 1, people, coordinator, 0b11)
    tx = publish(fl, task, weights(aggregate(task, 1)), [hospital_datasets[0]], coordinator)
    assert tx.events["DatasetCited"]["datasetId"] == hospital_datasets[0]


def test_model_transferred_away_cannot_be_published_by_the_coordinator(
    fl, models, finished, coordinator, model_id, hospital_datasets, stranger
):
    task, final = finished
    models.transferModel(model_id, stranger, {"from": coordinator})
    with brownie.reverts(err("ModelNotOwner", model_id, coordinator)):
        publish(fl, task, final, hospital_datasets[:4], coordinator)


def test_the_ordinary_path_still_refuses_the_coordinator_the_hospitals_datasets(
    models, finished, coordinator, model_id, hospital_datasets
):
    """The attested path is the only exception: publishVersion keeps the ethical-sourcing rule."""
    other = weights(b"\x43" * 32)
    models.commitVersion(commitment(coordinator, other, salt(3)), {"from": coordinator})
    chain.sleep(MIN_COMMIT_AGE)
    with brownie.reverts(err("ModelDatasetNotAccessible", hospital_datasets[0], coordinator)):
        models.publishVersion(
            model_id, other, salt(3), cid(1), cid(2), [hospital_datasets[0]], [], {"from": coordinator}
        )
