// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title aitrail model-version registry
/// @notice Records which model weights were published when, trained on which datasets, derived from
///         which parent versions. A model has an owner and a name unique *per owner* (like a namespace:
///         two labs may both call a model "resnet"); only the owner publishes, deprecates, moves aliases
///         and transfers it. Versions get a global id (so a parent may belong to another model) and a
///         number within their model (1, 2, ...); neither is ever reused or overwritten.
///
///         A version's weights digest follows OpenSSF model signing: SHA-256 over the sorted per-file
///         SHA-256 digests of the model files. One digest is one version, so `versionIdByDigest`
///         answers "is this file a published version, and of which model?".
///
///         `versionIdByDigest` is the index by digest (the digest is not an event topic).
///
///         Front-running: a digest is published in two steps so that nobody can take credit for weights
///         seen in the mempool. The publisher first commits to `keccak256(abi.encode(publisher,
///         weightsDigest, salt))` (`commitVersion`; it reveals nothing), then, at least
///         `MIN_COMMIT_AGE` seconds later, publishes with the salt. A copy of the pending publication
///         by another account needs its own commitment at least `MIN_COMMIT_AGE` old, made before the
///         digest was visible, so it reverts (`ModelCommitmentUnknown` / `ModelCommitmentTooRecent`) as
///         long as the real publication is included within `MIN_COMMIT_AGE` of being broadcast.
///         Limit: weights that are public before their commitment (e.g. already on a model hub) can be
///         committed by anyone; the chain cannot tell who made a file, only who committed to it first.
///
///         Ethical sourcing: a version may cite a dataset only if the publisher owns it or holds access
///         to it at publication time, and never a withdrawn one. Lineage lives in events, indexed both
///         ways: `DatasetCited(datasetId, versionId)` and `VersionDerived(parentVersionId, versionId)`.
///
///         Federated versions (the one exception, attested by FederatedTraining): the final aggregate of a
///         federated task cites the datasets its participants trained on, which the coordinator
///         publishing it cannot access (that is the point of federated training). FederatedTraining
///         checked each participant's access at every update it committed, so it, and only it, may
///         publish such a version (`publishFederatedVersion`), citing exactly the datasets of the
///         participants whose updates were included in at least one round. Its weights digest is bound
///         to the task: when the task's last round is aggregated, FederatedTraining reserves the digest
///         of the model made of that aggregate (`reserveFederatedDigest`), so nobody can take it through
///         `publishVersion` (`ModelDigestReserved`) and the coordinator cannot cite the participants'
///         datasets for any other weights (`ModelDigestNotReserved`). Which contract may do this is
///         set once, by the deployer, right after deployment (`setFederatedTraining`): see there why.
interface IModelRegistry {
    /// @notice A content identifier in compact form: the sha2-256 digest of the root block and its kind.
    /// @dev kind 0 = CIDv0 (dag-pb, base58 "Qm..."), 1 = CIDv1 dag-pb, 2 = CIDv1 raw.
    struct CompactCid {
        bytes32 digest;
        uint8 kind;
    }

    /// @notice A published version, as stored: one slot. The weights digest, CIDs and lineage are in
    ///         `VersionPublished`, `DatasetCited` and `VersionDerived`; digest → version is
    ///         `versionIdByDigest`, the only lookup a call needs.
    struct Version {
        uint64 modelId;
        uint32 number;
        uint64 publishedAt;
        bool deprecated;
    }

    /// @notice What FederatedTraining hands `publishFederatedVersion` for a task's final model.
    struct FederatedVersion {
        uint256 modelId;
        address publisher; // the task's coordinator
        uint256 taskId;
        uint32 rounds;
        bytes32 weightsDigest;
        CompactCid artifact;
        CompactCid metadata;
    }

    /// @notice A model and its current owner.
    struct Model {
        address owner;
        uint32 versionCount;
        uint64 registeredAt;
        bytes32 nameHash;
    }

    /// @notice `owner` registered model `modelId` named `name`.
    event ModelRegistered(uint256 indexed modelId, address indexed owner, string name);
    /// @notice Model `modelId` passed from `previousOwner` to `newOwner`.
    event ModelTransferred(uint256 indexed modelId, address indexed previousOwner, address indexed newOwner);
    /// @notice Version `versionId`, number `number` of model `modelId`, was published by `publisher`.
    event VersionPublished(
        uint256 indexed modelId,
        uint256 indexed versionId,
        bytes32 weightsDigest,
        uint32 number,
        address publisher,
        CompactCid artifact,
        CompactCid metadata
    );
    /// @notice Version `versionId` was trained on dataset `datasetId` (one event per cited dataset).
    event DatasetCited(uint256 indexed datasetId, uint256 indexed versionId);
    /// @notice Version `versionId` derives from `parentVersionId` (one event per parent).
    event VersionDerived(uint256 indexed parentVersionId, uint256 indexed versionId);
    /// @notice Version `versionId` of model `modelId` was deprecated.
    event VersionDeprecated(uint256 indexed modelId, uint256 indexed versionId);
    /// @notice `committer` stored `commitment` (see `commitVersion`) at `committedAt`.
    event VersionCommitted(bytes32 indexed commitment, address indexed committer, uint64 committedAt);
    /// @notice Version `versionId` is the final aggregate of federated task `taskId` of the
    ///         FederatedTraining contract `federatedTrainingOf()`, after `rounds` rounds; its `DatasetCited`
    ///         events were attested by that contract, not checked against the publisher's own access.
    event VersionTrainedFederated(uint256 indexed versionId, uint256 indexed taskId, uint32 rounds);
    /// @notice `weightsDigest` is reserved for the final model of federated task `taskId`.
    event FederatedDigestReserved(bytes32 indexed weightsDigest, uint256 indexed taskId);
    /// @notice The deployer named `federatedTraining` as the contract that attests federated versions.
    event FederatedTrainingSet(address indexed federatedTraining);
    /// @notice Alias `alias_` of model `modelId` moved from `previousVersionId` to `versionId` (0 = unset).
    event AliasMoved(
        uint256 indexed modelId, bytes32 indexed alias_, uint256 previousVersionId, uint256 versionId
    );

    /// @notice An empty model name.
    error ModelNameEmpty();
    /// @notice `owner` already has a model named so (`nameHash` = keccak256 of the name).
    error ModelNameTaken(address owner, bytes32 nameHash, uint256 modelId);
    /// @notice No model has id `modelId`.
    error ModelUnknown(uint256 modelId);
    /// @notice `caller` is not the owner of model `modelId`.
    error ModelNotOwner(uint256 modelId, address caller);
    /// @notice A zero address as new owner.
    error ModelZeroOwner();
    /// @notice No version has id `versionId`.
    error ModelVersionUnknown(uint256 versionId);
    /// @notice Version `versionId` belongs to model `actualModelId`, not `modelId`.
    error ModelVersionOfOtherModel(uint256 modelId, uint256 versionId, uint256 actualModelId);
    /// @notice Version `versionId` is already deprecated.
    error ModelVersionDeprecated(uint256 versionId);
    /// @notice A zero weights digest.
    error ModelDigestZero();
    /// @notice `weightsDigest` was already published as version `versionId`.
    error ModelDigestPublished(bytes32 weightsDigest, uint256 versionId);
    /// @notice A CID kind other than 0, 1 or 2.
    error ModelCidKindInvalid(uint8 kind);
    /// @notice Dataset ids must be strictly ascending (no duplicates): `previous` came before `next`.
    error ModelDatasetsUnsorted(uint256 previous, uint256 next);
    /// @notice Parent version ids must be strictly ascending (no duplicates).
    error ModelParentsUnsorted(uint256 previous, uint256 next);
    /// @notice Parent `parentVersionId` is not an earlier published version.
    error ModelParentUnknown(uint256 parentVersionId);
    /// @notice Dataset `datasetId` was never registered.
    error ModelDatasetUnknown(uint256 datasetId);
    /// @notice Dataset `datasetId` is withdrawn and cannot be cited.
    error ModelDatasetWithdrawn(uint256 datasetId);
    /// @notice `publisher` neither owns nor holds access to dataset `datasetId`.
    error ModelDatasetNotAccessible(uint256 datasetId, address publisher);
    /// @notice A zero alias name.
    error ModelAliasEmpty();
    /// @notice A zero address where a contract is required.
    error ModelZeroAddress();
    /// @notice A zero commitment.
    error ModelCommitmentZero();
    /// @notice `commitment` was already stored at `committedAt`.
    error ModelCommitmentExists(bytes32 commitment, uint64 committedAt);
    /// @notice No stored commitment equals `keccak256(abi.encode(msg.sender, weightsDigest, salt))`.
    error ModelCommitmentUnknown(bytes32 commitment);
    /// @notice `commitment` may be revealed from `readyAt` on; it is `timestamp` now.
    error ModelCommitmentTooRecent(bytes32 commitment, uint256 readyAt, uint256 timestamp);

    /// @notice `weightsDigest` is reserved for the final model of federated task `taskId`.
    error ModelDigestReserved(bytes32 weightsDigest, uint256 taskId);
    /// @notice `weightsDigest` is not reserved for federated task `taskId` (not its final aggregate's model,
    ///         or reserved for another task).
    error ModelDigestNotReserved(bytes32 weightsDigest, uint256 taskId);
    /// @notice `caller` is not the FederatedTraining contract (`federated`, zero while none is set).
    error ModelNotFederatedTraining(address caller, address federated);
    /// @notice `caller` is not the deployer, the only account that may set the FederatedTraining contract.
    error ModelNotDeployer(address caller);
    /// @notice The FederatedTraining contract is already set to `federated` (it is set once).
    error ModelFederatedTrainingSet(address federated);
    /// @notice `federated` trains models of the registry `itsRegistry`, not of this one.
    error ModelFederatedTrainingMismatch(address federated, address itsRegistry);

    /// @notice Seconds a commitment must age before its publication (fixed at deployment).
    function MIN_COMMIT_AGE() external view returns (uint64);

    /// @notice Commit to publishing a digest: `commitment = keccak256(abi.encode(publisher,
    ///         weightsDigest, salt))` with a secret random `salt` (bytes16, ABI-padded to 32 bytes).
    ///         Anyone may commit; only the publisher named inside can reveal it. A copied commitment
    ///         (same hash) changes nothing for its author.
    /// @dev Reverts `ModelCommitmentZero`, `ModelCommitmentExists`.
    function commitVersion(bytes32 commitment) external;

    /// @notice When `commitment` was stored (0 = never, or already revealed).
    function commitmentTime(bytes32 commitment) external view returns (uint64);

    /// @notice Register a model named `name` owned by the caller.
    /// @return modelId The new model's id (from 1).
    function registerModel(string calldata name) external returns (uint256 modelId);

    /// @notice Hand model `modelId` (with its name and aliases) to `newOwner`. Owner only; one step.
    function transferModel(uint256 modelId, address newOwner) external;

    /// @notice Publish the next version of model `modelId`, revealing an earlier `commitVersion` of
    ///         the caller (consumed here). Owner only. A digest reserved for a federated task's final
    ///         model is refused (`ModelDigestReserved`): only that task's `publishFederatedVersion` takes it.
    /// @param weightsDigest OpenSSF-style SHA-256 over the sorted per-file SHA-256 digests.
    /// @param salt The salt of the caller's commitment, at least `MIN_COMMIT_AGE` old (128 random bits
    ///        hide the digest; a bytes16 costs less calldata than a bytes32).
    /// @param artifact CID of the model files on IPFS.
    /// @param metadata CID of the training-run metadata (hyperparameters, code revision, metrics).
    /// @param datasetIds Datasets trained on, strictly ascending; each owned or accessible by the caller.
    /// @param parentVersionIds Versions fine-tuned from (any model), strictly ascending.
    /// @return versionId The new version's global id (from 1).
    function publishVersion(
        uint256 modelId,
        bytes32 weightsDigest,
        bytes16 salt,
        CompactCid calldata artifact,
        CompactCid calldata metadata,
        uint256[] calldata datasetIds,
        uint256[] calldata parentVersionIds
    ) external returns (uint256 versionId);

    /// @notice Name the FederatedTraining contract, once, deployer only. Why set-once by the deployer:
    ///         FederatedTraining is constructed with this registry's address, so this registry cannot be
    ///         constructed with its address (predicting it from the deployer's nonce would make a deploy
    ///         interrupted between the two contracts impossible to resume). The deployer's only power is
    ///         this one call, right after deploying FederatedTraining, and it is gone once used; the
    ///         candidate must name this registry (`modelRegistry()`), and `aitrail deploy --find` checks the
    ///         wiring on-chain. Until it is set, no federated version can be published and
    ///         FederatedTraining creates no task.
    /// @dev Reverts `ModelNotDeployer`, `ModelFederatedTrainingSet`, `ModelZeroAddress`,
    ///      `ModelFederatedTrainingMismatch`. Emits `FederatedTrainingSet`.
    function setFederatedTraining(address federated) external;

    /// @notice The FederatedTraining contract that attests federated versions (zero until set).
    function federatedTrainingOf() external view returns (address);

    /// @notice Reserve `weightsDigest` for the final model of federated task `taskId` (FederatedTraining
    ///         only, when the task's last round is aggregated). Changes nothing if the digest is already
    ///         published or reserved: a squatter who predicted it cannot make the last round revert; the
    ///         task's publication then fails naming the version that holds the digest.
    /// @dev Reverts `ModelNotFederatedTraining`. Emits `FederatedDigestReserved` when it reserves.
    function reserveFederatedDigest(bytes32 weightsDigest, uint256 taskId) external;

    /// @notice The federated task `weightsDigest` is reserved for, 0 if none (also 0 once published).
    function reservedFor(bytes32 weightsDigest) external view returns (uint256 taskId);

    /// @notice Publish the final model of federated task `version.taskId` as the next version of
    ///         `version.modelId` (FederatedTraining only; it has checked that `version.publisher` is the
    ///         task's coordinator, that every round is aggregated and that `datasetIds` are exactly the
    ///         included participants' datasets). The publisher must own the model; the weights digest
    ///         must be reserved for the task. No
    ///         commitment is needed: nobody but the task's coordinator can publish through this path, and
    ///         the reservation already keeps the digest from everyone else. Cited datasets are not checked
    ///         against the publisher's access (see the contract notice) and earn no citation reward (the
    ///         participants were paid from the task's pool).
    /// @dev Reverts `ModelNotFederatedTraining`, `ModelUnknown`, `ModelNotOwner`,
    ///      `ModelDigestNotReserved`, `ModelDigestPublished`, `ModelCidKindInvalid`, `ModelDatasetsUnsorted`,
    ///      `ModelDatasetUnknown`. Emits `VersionPublished`, `DatasetCited` per dataset,
    ///      `VersionTrainedFederated`.
    function publishFederatedVersion(FederatedVersion calldata version, uint256[] calldata datasetIds)
        external
        returns (uint256 versionId);

    /// @notice Mark version `versionId` deprecated (it stays readable). Aliases may no longer be set to
    ///         it, and an alias already pointing at it reads as unset (`aliasOf` answers 0) from then on.
    function deprecateVersion(uint256 versionId) external;

    /// @notice Point alias `alias_` of model `modelId` at `versionId`, or unset it with 0. Owner only.
    function setAlias(uint256 modelId, bytes32 alias_, uint256 versionId) external;

    /// @notice The model `modelId`; reverts `ModelUnknown` for an unknown id.
    function getModel(uint256 modelId) external view returns (Model memory);

    /// @notice The model `owner` registered as `name`, or 0.
    function modelIdByName(address owner, string calldata name) external view returns (uint256);

    /// @notice The version `versionId`; reverts `ModelVersionUnknown` for an unknown id.
    function getVersion(uint256 versionId) external view returns (Version memory);

    /// @notice The version whose weights digest is `weightsDigest`, or 0 if none was published.
    function versionIdByDigest(bytes32 weightsDigest) external view returns (uint256);

    /// @notice The version an alias points at, or 0 (unset, or pointing at a since deprecated version).
    function aliasOf(uint256 modelId, bytes32 alias_) external view returns (uint256);

    /// @notice Number of models registered; ids run from 1 to this number.
    function modelCount() external view returns (uint256);

    /// @notice Number of versions published across all models; ids run from 1 to this number.
    function versionCount() external view returns (uint256);
}
