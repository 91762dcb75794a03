"""ModelRegistry: models, versions, ethical sourcing, lineage events, deprecation, aliases."""

import brownie
from brownie import ZERO_ADDRESS, chain
from conftest import (
    DAY,
    MIN_COMMIT_AGE,
    cid,
    commit,
    commitment,
    digest,
    err,
    grant,
    register_dataset,
    revoke_access,
    salt,
    withdraw_dataset,
)

PRODUCTION = b"production".ljust(32, b"\x00")
STAGING = b"staging".ljust(32, b"\x00")


def publish(models, model_id, who, n, datasets=(), parents=(), artifact_kind=0, metadata_kind=1):
    commit(models, who, n)
    return models.publishVersion(
        model_id,
        digest(n),
        salt(n),
        cid(n, artifact_kind),
        cid(1000 + n, metadata_kind),
        list(datasets),
        list(parents),
        {"from": who},
    )


# --- models -------------------------------------------------------------------------------------


def test_register_model_assigns_ids_and_emits(models, researcher, other):
    tx = models.registerModel("resnet", {"from": researcher})
    assert tx.events["ModelRegistered"] == {"modelId": 1, "owner": researcher, "name": "resnet"}
    tx2 = models.registerModel("resnet", {"from": other})  # unique per owner, not globally
    assert tx2.events["ModelRegistered"]["modelId"] == 2
    model = models.getModel(1)
    assert model["owner"] == researcher
    assert model["versionCount"] == 0
    assert model["registeredAt"] == tx.timestamp
    assert models.modelIdByName(researcher, "resnet") == 1
    assert models.modelIdByName(other, "resnet") == 2
    assert models.modelIdByName(other, "bert") == 0
    assert models.modelCount() == 2


def test_register_model_name_taken_by_same_owner(models, researcher, model_id):
    name_hash = brownie.web3.keccak(text="resnet")
    with brownie.reverts(err("ModelNameTaken", researcher, bytes(name_hash), model_id)):
        models.registerModel("resnet", {"from": researcher})


def test_register_model_empty_name(models, researcher):
    with brownie.reverts(err("ModelNameEmpty")):
        models.registerModel("", {"from": researcher})


def test_get_model_unknown(models):
    with brownie.reverts(err("ModelUnknown", 5)):
        models.getModel(5)


def test_transfer_model_moves_ownership_and_name(models, researcher, other, model_id):
    tx = models.transferModel(model_id, other, {"from": researcher})
    assert tx.events["ModelTransferred"] == {
        "modelId": model_id,
        "previousOwner": researcher,
        "newOwner": other,
    }
    assert models.getModel(model_id)["owner"] == other
    assert models.modelIdByName(other, "resnet") == model_id
    assert models.modelIdByName(researcher, "resnet") == 0
    with brownie.reverts(err("ModelNotOwner", model_id, researcher)):
        models.setAlias(model_id, PRODUCTION, 0, {"from": researcher})


def test_transfer_model_to_owner_with_same_name_reverts(models, researcher, other, model_id):
    models.registerModel("resnet", {"from": other})
    other_id = models.modelCount()
    name_hash = bytes(brownie.web3.keccak(text="resnet"))
    with brownie.reverts(err("ModelNameTaken", other, name_hash, other_id)):
        models.transferModel(model_id, other, {"from": researcher})


def test_transfer_model_to_zero_reverts(models, researcher, model_id):
    with brownie.reverts(err("ModelZeroOwner")):
        models.transferModel(model_id, ZERO_ADDRESS, {"from": researcher})


def test_privileged_model_functions_refuse_strangers(models, researcher, stranger, model_id):
    publish(models, model_id, researcher, 1)
    with brownie.reverts(err("ModelNotOwner", model_id, stranger)):
        models.transferModel(model_id, stranger, {"from": stranger})
    with brownie.reverts(err("ModelNotOwner", model_id, stranger)):
        publish(models, model_id, stranger, 2)
    with brownie.reverts(err("ModelNotOwner", model_id, stranger)):
        models.deprecateVersion(1, {"from": stranger})
    with brownie.reverts(err("ModelNotOwner", model_id, stranger)):
        models.setAlias(model_id, PRODUCTION, 1, {"from": stranger})


def test_owner_functions_on_unknown_model(models, researcher):
    with brownie.reverts(err("ModelUnknown", 9)):
        publish(models, 9, researcher, 1)
    with brownie.reverts(err("ModelUnknown", 9)):
        models.setAlias(9, PRODUCTION, 0, {"from": researcher})
    with brownie.reverts(err("ModelUnknown", 9)):
        models.transferModel(9, researcher, {"from": researcher})


def test_constructor_rejects_zero_registry(ModelRegistry, admin):
    with brownie.reverts(err("ModelZeroAddress")):
        ModelRegistry.deploy(ZERO_ADDRESS, ZERO_ADDRESS, 0, {"from": admin})


# --- versions ------------------------------------------------------------------------------------


def test_publish_numbers_versions_and_emits(models, researcher, model_id):
    tx = publish(models, model_id, researcher, 1, artifact_kind=2, metadata_kind=1)
    ev = tx.events["VersionPublished"]
    assert (ev["modelId"], ev["versionId"], ev["weightsDigest"], ev["number"], ev["publisher"]) == (
        model_id,
        1,
        "0x" + digest(1).hex(),
        1,
        researcher,
    )
    assert (ev["artifact"][0], ev["artifact"][1]) == ("0x" + cid(1)[0].hex(), 2)
    assert (ev["metadata"][0], ev["metadata"][1]) == ("0x" + cid(1001)[0].hex(), 1)
    tx2 = publish(models, model_id, researcher, 2)
    assert tx2.events["VersionPublished"]["number"] == 2
    v = models.getVersion(2)
    assert (v["modelId"], v["number"], v["publishedAt"], v["deprecated"]) == (
        model_id,
        2,
        tx2.timestamp,
        False,
    )
    assert len(v) == 4  # the digest is in VersionPublished and versionIdByDigest, not stored twice
    assert models.getModel(model_id)["versionCount"] == 2
    assert models.versionCount() == 2
    assert models.versionIdByDigest(digest(1)) == 1
    assert models.versionIdByDigest(digest(2)) == 2
    assert models.versionIdByDigest(digest(3)) == 0


def test_version_numbers_are_per_model_ids_global(models, researcher, other, model_id):
    models.registerModel("bert", {"from": other})
    publish(models, model_id, researcher, 1)
    tx = publish(models, 2, other, 2)
    assert tx.events["VersionPublished"]["versionId"] == 2
    assert tx.events["VersionPublished"]["number"] == 1


def test_publish_same_digest_twice_reverts(models, researcher, model_id):
    publish(models, model_id, researcher, 1)
    with brownie.reverts(err("ModelDigestPublished", digest(1), 1)):
        publish(models, model_id, researcher, 1)


def test_publish_zero_digest_reverts(models, researcher, model_id):
    with brownie.reverts(err("ModelDigestZero")):
        models.commitVersion(commitment(researcher, b"\x00" * 32, salt(1)), {"from": researcher})
        chain.sleep(MIN_COMMIT_AGE)
        models.publishVersion(model_id, b"\x00" * 32, salt(1), cid(1), cid(2), [], [], {"from": researcher})


def test_publish_invalid_cid_kind_reverts(models, researcher, model_id):
    with brownie.reverts(err("ModelCidKindInvalid", 3)):
        publish(models, model_id, researcher, 1, artifact_kind=3)
    with brownie.reverts(err("ModelCidKindInvalid", 7)):
        publish(models, model_id, researcher, 1, metadata_kind=7)


def test_get_version_unknown(models):
    with brownie.reverts(err("ModelVersionUnknown", 1)):
        models.getVersion(1)


# --- ethical sourcing and dataset lineage -----------------------------------------------------------


def test_publish_citing_owned_and_granted_datasets(models, datasets, researcher, owner, model_id):
    own = register_dataset(datasets, researcher)
    theirs = register_dataset(datasets, owner)
    grant(datasets, owner, theirs, researcher)
    tx = publish(models, model_id, researcher, 1, datasets=[own, theirs])
    assert [dict(e) for e in tx.events["DatasetCited"]] == [
        {"datasetId": own, "versionId": 1},
        {"datasetId": theirs, "versionId": 1},
    ]


def test_publish_without_access_reverts(models, datasets, researcher, owner, model_id):
    theirs = register_dataset(datasets, owner)
    with brownie.reverts(err("ModelDatasetNotAccessible", theirs, researcher)):
        publish(models, model_id, researcher, 1, datasets=[theirs])


def test_publish_after_grant_expired_reverts(models, datasets, researcher, owner, model_id):
    theirs = register_dataset(datasets, owner)
    grant(datasets, owner, theirs, researcher, days=1)
    chain.sleep(DAY + 1)
    chain.mine()
    with brownie.reverts(err("ModelDatasetNotAccessible", theirs, researcher)):
        publish(models, model_id, researcher, 1, datasets=[theirs])


def test_publish_after_grant_revoked_reverts(models, datasets, researcher, owner, model_id):
    theirs = register_dataset(datasets, owner)
    grant(datasets, owner, theirs, researcher)
    revoke_access(datasets, owner, theirs, researcher)
    with brownie.reverts(err("ModelDatasetNotAccessible", theirs, researcher)):
        publish(models, model_id, researcher, 1, datasets=[theirs])


def test_publish_citing_withdrawn_dataset_reverts_even_for_owner(models, datasets, researcher, model_id):
    own = register_dataset(datasets, researcher)
    withdraw_dataset(datasets, researcher, own)
    with brownie.reverts(err("ModelDatasetWithdrawn", own)):
        publish(models, model_id, researcher, 1, datasets=[own])


def test_publish_citing_unknown_dataset_reverts(models, datasets, researcher, model_id):
    unknown = datasets.datasetCount() + 1
    with brownie.reverts(err("ModelDatasetUnknown", unknown)):
        publish(models, model_id, researcher, 1, datasets=[unknown])
    with brownie.reverts(err("ModelDatasetUnknown", 0)):
        publish(models, model_id, researcher, 1, datasets=[0])


def test_publish_unsorted_or_duplicate_datasets_reverts(models, datasets, researcher, model_id):
    a = register_dataset(datasets, researcher)
    b = register_dataset(datasets, researcher)
    with brownie.reverts(err("ModelDatasetsUnsorted", b, a)):
        publish(models, model_id, researcher, 1, datasets=[b, a])
    with brownie.reverts(err("ModelDatasetsUnsorted", a, a)):
        publish(models, model_id, researcher, 1, datasets=[a, a])


# --- parent lineage --------------------------------------------------------------------------------


def test_publish_with_parents_across_models(models, researcher, other, model_id):
    models.registerModel("base", {"from": other})
    publish(models, 2, other, 1)  # version 1, another model
    publish(models, model_id, researcher, 2)  # version 2
    tx = publish(models, model_id, researcher, 3, parents=[1, 2])
    assert [dict(e) for e in tx.events["VersionDerived"]] == [
        {"parentVersionId": 1, "versionId": 3},
        {"parentVersionId": 2, "versionId": 3},
    ]


def test_publish_with_unknown_or_future_parent_reverts(models, researcher, model_id):
    publish(models, model_id, researcher, 1)
    with brownie.reverts(err("ModelParentUnknown", 2)):
        publish(models, model_id, researcher, 2, parents=[2])  # its own id: not earlier
    with brownie.reverts(err("ModelParentUnknown", 0)):
        publish(models, model_id, researcher, 2, parents=[0])


def test_publish_unsorted_parents_reverts(models, researcher, model_id):
    publish(models, model_id, researcher, 1)
    publish(models, model_id, researcher, 2)
    with brownie.reverts(err("ModelParentsUnsorted", 2, 1)):
        publish(models, model_id, researcher, 3, parents=[2, 1])


# --- deprecation and aliases -----------------------------------------------------------------------


def test_deprecate_version(models, researcher, model_id):
    publish(models, model_id, researcher, 1)
    tx = models.deprecateVersion(1, {"from": researcher})
    assert tx.events["VersionDeprecated"] == {"modelId": model_id, "versionId": 1}
    assert models.getVersion(1)["deprecated"] is True
    with brownie.reverts(err("ModelVersionDeprecated", 1)):
        models.deprecateVersion(1, {"from": researcher})
    with brownie.reverts(err("ModelVersionUnknown", 2)):
        models.deprecateVersion(2, {"from": researcher})


def test_alias_moves_with_an_event_each_time(models, researcher, model_id):
    publish(models, model_id, researcher, 1)
    publish(models, model_id, researcher, 2)
    tx = models.setAlias(model_id, PRODUCTION, 1, {"from": researcher})
    assert tx.events["AliasMoved"] == {
        "modelId": model_id,
        "alias_": "0x" + PRODUCTION.hex(),
        "previousVersionId": 0,
        "versionId": 1,
    }
    tx = models.setAlias(model_id, PRODUCTION, 2, {"from": researcher})
    assert tx.events["AliasMoved"]["previousVersionId"] == 1
    assert models.aliasOf(model_id, PRODUCTION) == 2
    assert models.aliasOf(model_id, STAGING) == 0
    tx = models.setAlias(model_id, PRODUCTION, 0, {"from": researcher})
    assert tx.events["AliasMoved"]["versionId"] == 0
    assert models.aliasOf(model_id, PRODUCTION) == 0


def test_deprecating_a_version_unsets_the_aliases_pointing_at_it(models, researcher, model_id):
    """Issue 11 item 6: before the fix `aliasOf` still answered the deprecated version."""
    publish(models, model_id, researcher, 1)
    publish(models, model_id, researcher, 2)
    models.setAlias(model_id, PRODUCTION, 1, {"from": researcher})
    models.setAlias(model_id, STAGING, 1, {"from": researcher})
    tx = models.deprecateVersion(1, {"from": researcher})
    assert tx.events["VersionDeprecated"] == {"modelId": model_id, "versionId": 1}
    assert models.aliasOf(model_id, PRODUCTION) == 0
    assert models.aliasOf(model_id, STAGING) == 0
    # The alias can be pointed at a live version again.
    models.setAlias(model_id, PRODUCTION, 2, {"from": researcher})
    assert models.aliasOf(model_id, PRODUCTION) == 2


def test_alias_errors(models, researcher, other, model_id):
    models.registerModel("bert", {"from": other})
    publish(models, 2, other, 1)
    publish(models, model_id, researcher, 2)
    models.deprecateVersion(2, {"from": researcher})
    with brownie.reverts(err("ModelAliasEmpty")):
        models.setAlias(model_id, b"\x00" * 32, 2, {"from": researcher})
    with brownie.reverts(err("ModelVersionUnknown", 3)):
        models.setAlias(model_id, PRODUCTION, 3, {"from": researcher})
    with brownie.reverts(err("ModelVersionOfOtherModel", model_id, 1, 2)):
        models.setAlias(model_id, PRODUCTION, 1, {"from": researcher})
    with brownie.reverts(err("ModelVersionDeprecated", 2)):
        models.setAlias(model_id, PRODUCTION, 2, {"from": researcher})


def test_registry_without_rewards_publishes_citations(ModelRegistry, admin, datasets, researcher):
    plain = ModelRegistry.deploy(datasets, ZERO_ADDRESS, MIN_COMMIT_AGE, {"from": admin})
    plain.registerModel("resnet", {"from": researcher})
    own = register_dataset(datasets, researcher)
    tx = publish(plain, 1, researcher, 1, datasets=[own])
    assert tx.events["DatasetCited"] == {"datasetId": own, "versionId": 1}
    assert "RewardCredited" not in tx.events


def test_digest_lookup_names_the_model(models, researcher, other, model_id):
    models.registerModel("bert", {"from": other})
    publish(models, 2, other, 7)
    version_id = models.versionIdByDigest(digest(7))
    assert models.getVersion(version_id)["modelId"] == 2
    assert models.getModel(2)["owner"] == other


# --- commit-reveal (issue 11 item 2) -------------------------------------------------------------------


def test_front_runner_copying_a_pending_publication_does_not_become_the_publisher(
    models, researcher, other, model_id
):
    """The victim committed and reveals; the attacker sees the reveal (digest and salt) in the mempool.
    Before commit-reveal, the attacker's copy of publishVersion on its own model won the digest."""
    models.registerModel("stolen", {"from": other})
    attacker_model = models.modelIdByName(other, "stolen")
    commit(models, researcher, 5)
    args = (digest(5), salt(5), cid(5), cid(1005), [], [])
    # A verbatim copy of the reveal from the attacker's account: its commitment hash differs.
    mine = commitment(other, digest(5), salt(5))
    with brownie.reverts(err("ModelCommitmentUnknown", mine)):
        models.publishVersion(attacker_model, *args, {"from": other})
    # Committing now does not help: the victim's reveal lands long before the attacker's ages.
    models.commitVersion(mine, {"from": other})
    ready = chain.time() + MIN_COMMIT_AGE
    with brownie.reverts():
        models.publishVersion(attacker_model, *args, {"from": other})
    tx = models.publishVersion(model_id, *args, {"from": researcher})
    assert tx.events["VersionPublished"]["publisher"] == researcher
    assert models.versionIdByDigest(digest(5)) == tx.events["VersionPublished"]["versionId"]
    chain.sleep(MIN_COMMIT_AGE)
    assert chain.time() >= ready
    version_id = models.versionIdByDigest(digest(5))
    with brownie.reverts(err("ModelDigestPublished", digest(5), version_id)):
        models.publishVersion(attacker_model, *args, {"from": other})
    assert models.getVersion(version_id)["modelId"] == model_id


def test_commit_stores_the_time_and_emits(models, researcher):
    c = commitment(researcher, digest(1), salt(1))
    tx = models.commitVersion(c, {"from": researcher})
    assert tx.events["VersionCommitted"] == {
        "commitment": "0x" + bytes(c).hex(),
        "committer": researcher,
        "committedAt": tx.timestamp,
    }
    assert models.commitmentTime(c) == tx.timestamp
    with brownie.reverts(err("ModelCommitmentExists", bytes(c), tx.timestamp)):
        models.commitVersion(c, {"from": researcher})
    with brownie.reverts(err("ModelCommitmentZero")):
        models.commitVersion(b"\x00" * 32, {"from": researcher})


def test_publish_before_the_commitment_aged_reverts(models, researcher, model_id):
    c = commitment(researcher, digest(1), salt(1))
    tx = models.commitVersion(c, {"from": researcher})
    args = (model_id, digest(1), salt(1), cid(1), cid(2), [], [])
    ready = tx.timestamp + MIN_COMMIT_AGE
    chain.sleep(MIN_COMMIT_AGE - 10)
    with brownie.reverts():  # ModelCommitmentTooRecent(c, ready, now): now depends on the block
        models.publishVersion(*args, {"from": researcher})
    try:
        models.publishVersion.call(*args, {"from": researcher})
        raise AssertionError("the call should revert")
    except brownie.exceptions.VirtualMachineError as exc:
        assert str(exc.revert_msg).startswith(f"ModelCommitmentTooRecent: {c!r}, {ready}, ")
    chain.sleep(10)
    tx = models.publishVersion(*args, {"from": researcher})
    assert models.commitmentTime(c) == 0  # consumed
    assert tx.events["VersionPublished"]["weightsDigest"] == "0x" + digest(1).hex()


def test_publish_with_a_wrong_salt_reverts(models, researcher, model_id):
    commit(models, researcher, 1)
    wrong = commitment(researcher, digest(1), salt(2))
    with brownie.reverts(err("ModelCommitmentUnknown", wrong)):
        models.publishVersion(model_id, digest(1), salt(2), cid(1), cid(2), [], [], {"from": researcher})


def test_a_commitment_is_spent_by_its_publication(models, researcher, model_id):
    commit(models, researcher, 1)
    args = (model_id, digest(1), salt(1), cid(1), cid(2), [], [])
    models.publishVersion(*args, {"from": researcher})
    with brownie.reverts(err("ModelCommitmentUnknown", commitment(researcher, digest(1), salt(1)))):
        models.publishVersion(*args, {"from": researcher})
