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
    ///         the caller (consumed here). Owner only.
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
