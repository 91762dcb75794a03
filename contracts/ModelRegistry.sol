// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IDatasetRegistryView} from "../interfaces/IDatasetRegistryView.sol";
import {IFederatedTraining} from "../interfaces/IFederatedTraining.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IRewards} from "../interfaces/IRewards.sol";

/// @title aitrail model-version registry
/// @notice See IModelRegistry. Storage holds only what a later call must read (owner, counters,
///         the digest index, deprecation, aliases, commitments); CIDs, a version's digest and lineage
///         lists live in events.
contract ModelRegistry is IModelRegistry {
    uint8 private constant _MAX_CID_KIND = 2;
    // A reserved digest maps to this flag | the task id, never to a version id (those stay far below
    // 2**255), so the one digest index also holds reservations and an ordinary publication pays no
    // extra storage read to respect them.
    uint256 private constant _RESERVED = 1 << 255;

    /// @inheritdoc IModelRegistry
    uint64 public immutable MIN_COMMIT_AGE;
    IDatasetRegistryView private immutable _datasets;
    IRewards private immutable _rewards;
    address private immutable _deployer;
    address private _federated;

    uint256 private _modelCount;
    uint256 private _versionCount;
    mapping(uint256 modelId => Model) private _models;
    mapping(bytes32 ownerNameKey => uint256 modelId) private _modelByName;
    mapping(uint256 versionId => Version) private _versions;
    mapping(bytes32 weightsDigest => uint256 versionId) private _versionByDigest;
    mapping(uint256 modelId => mapping(bytes32 alias_ => uint256 versionId)) private _aliases;
    mapping(bytes32 commitment => uint64 committedAt) private _commitments;

    /// @param datasets The dataset registry that citations are checked against.
    /// @param rewards Rewards contract credited on publication (needs its REGISTRY_ROLE granted to
    ///        this contract), or address(0) to publish without rewards.
    /// @param minCommitAge Seconds between a commitment and its publication: longer than a transaction
    ///        can be held back from inclusion on the target network.
    constructor(IDatasetRegistryView datasets, IRewards rewards, uint64 minCommitAge) {
        if (address(datasets) == address(0)) revert ModelZeroAddress();
        _datasets = datasets;
        _rewards = rewards;
        MIN_COMMIT_AGE = minCommitAge;
        _deployer = msg.sender;
    }

    modifier onlyFederated() {
        address federated = _federated;
        if (msg.sender != federated || federated == address(0)) {
            revert ModelNotFederatedTraining(msg.sender, federated);
        }
        _;
    }

    modifier onlyModelOwner(uint256 modelId) {
        address owner = _models[modelId].owner;
        if (owner == address(0)) revert ModelUnknown(modelId);
        if (owner != msg.sender) revert ModelNotOwner(modelId, msg.sender);
        _;
    }

    /// @inheritdoc IModelRegistry
    function commitVersion(bytes32 commitment) external {
        if (commitment == bytes32(0)) revert ModelCommitmentZero();
        uint64 committedAt = _commitments[commitment];
        if (committedAt != 0) revert ModelCommitmentExists(commitment, committedAt);
        committedAt = uint64(block.timestamp);
        _commitments[commitment] = committedAt;
        emit VersionCommitted(commitment, msg.sender, committedAt);
    }

    /// @inheritdoc IModelRegistry
    function registerModel(string calldata name) external returns (uint256 modelId) {
        if (bytes(name).length == 0) revert ModelNameEmpty();
        bytes32 nameHash = keccak256(bytes(name));
        bytes32 key = _nameKey(msg.sender, nameHash);
        uint256 existing = _modelByName[key];
        if (existing != 0) revert ModelNameTaken(msg.sender, nameHash, existing);
        modelId = ++_modelCount;
        _models[modelId] =
            Model({owner: msg.sender, versionCount: 0, registeredAt: uint64(block.timestamp), nameHash: nameHash});
        _modelByName[key] = modelId;
        emit ModelRegistered(modelId, msg.sender, name);
    }

    /// @inheritdoc IModelRegistry
    function transferModel(uint256 modelId, address newOwner) external onlyModelOwner(modelId) {
        if (newOwner == address(0)) revert ModelZeroOwner();
        bytes32 nameHash = _models[modelId].nameHash;
        bytes32 newKey = _nameKey(newOwner, nameHash);
        uint256 existing = _modelByName[newKey];
        // The name stays unique per owner: the recipient must not already own a model so named.
        if (existing != 0) revert ModelNameTaken(newOwner, nameHash, existing);
        delete _modelByName[_nameKey(msg.sender, nameHash)];
        _modelByName[newKey] = modelId;
        _models[modelId].owner = newOwner;
        emit ModelTransferred(modelId, msg.sender, newOwner);
    }

    /// @inheritdoc IModelRegistry
    function publishVersion(
        uint256 modelId,
        bytes32 weightsDigest,
        bytes16 salt,
        CompactCid calldata artifact,
        CompactCid calldata metadata,
        uint256[] calldata datasetIds,
        uint256[] calldata parentVersionIds
    ) external onlyModelOwner(modelId) returns (uint256 versionId) {
        _consumeCommitment(weightsDigest, salt);
        uint256 existing = _versionByDigest[weightsDigest];
        if (existing != 0) {
            if (existing & _RESERVED != 0) revert ModelDigestReserved(weightsDigest, existing ^ _RESERVED);
            revert ModelDigestPublished(weightsDigest, existing);
        }
        versionId = _recordVersion(modelId, weightsDigest, artifact, metadata, msg.sender);
        _checkAndEmitDatasets(versionId, datasetIds);
        _checkAndEmitParents(versionId, parentVersionIds);
        if (address(_rewards) != address(0) && datasetIds.length != 0) {
            _rewards.creditCitations(versionId, msg.sender, datasetIds);
        }
    }

    /// @inheritdoc IModelRegistry
    function setFederatedTraining(address federated) external {
        if (msg.sender != _deployer) revert ModelNotDeployer(msg.sender);
        address current = _federated;
        if (current != address(0)) revert ModelFederatedTrainingSet(current);
        if (federated == address(0)) revert ModelZeroAddress();
        // A mistake check, not a trust check (any contract can answer this): the deployer is trusted to
        // name the suite's own FederatedTraining, and `deploy --find` checks its creation bytecode.
        address itsRegistry = address(IFederatedTraining(federated).modelRegistry());
        if (itsRegistry != address(this)) revert ModelFederatedTrainingMismatch(federated, itsRegistry);
        _federated = federated;
        emit FederatedTrainingSet(federated);
    }

    /// @inheritdoc IModelRegistry
    function reserveFederatedDigest(bytes32 weightsDigest, uint256 taskId) external onlyFederated {
        // Taken already (published, or predicted and squatted before the last round): the last round must
        // still go through, so nothing happens here and the task's publication will name the version.
        if (_versionByDigest[weightsDigest] != 0) return;
        _versionByDigest[weightsDigest] = _RESERVED | taskId;
        emit FederatedDigestReserved(weightsDigest, taskId);
    }

    /// @inheritdoc IModelRegistry
    function publishFederatedVersion(FederatedVersion calldata version, uint256[] calldata datasetIds)
        external
        onlyFederated
        returns (uint256 versionId)
    {
        uint256 modelId = version.modelId;
        address owner = _models[modelId].owner;
        if (owner == address(0)) revert ModelUnknown(modelId);
        if (owner != version.publisher) revert ModelNotOwner(modelId, version.publisher);
        bytes32 weightsDigest = version.weightsDigest;
        uint256 existing = _versionByDigest[weightsDigest];
        if (existing != (_RESERVED | version.taskId)) {
            if (existing != 0 && existing & _RESERVED == 0) revert ModelDigestPublished(weightsDigest, existing);
            revert ModelDigestNotReserved(weightsDigest, version.taskId);
        }
        versionId = _recordVersion(modelId, weightsDigest, version.artifact, version.metadata, version.publisher);
        _emitAttestedDatasets(versionId, datasetIds);
        emit VersionTrainedFederated(versionId, version.taskId, version.rounds);
    }

    /// @inheritdoc IModelRegistry
    function deprecateVersion(uint256 versionId) external {
        Version storage version = _versions[versionId];
        uint256 modelId = version.modelId;
        if (modelId == 0) revert ModelVersionUnknown(versionId);
        if (_models[modelId].owner != msg.sender) revert ModelNotOwner(modelId, msg.sender);
        if (version.deprecated) revert ModelVersionDeprecated(versionId);
        version.deprecated = true;
        emit VersionDeprecated(modelId, versionId);
    }

    /// @inheritdoc IModelRegistry
    function setAlias(uint256 modelId, bytes32 alias_, uint256 versionId) external onlyModelOwner(modelId) {
        if (alias_ == bytes32(0)) revert ModelAliasEmpty();
        if (versionId != 0) {
            Version storage version = _versions[versionId];
            uint256 actual = version.modelId;
            if (actual == 0) revert ModelVersionUnknown(versionId);
            if (actual != modelId) revert ModelVersionOfOtherModel(modelId, versionId, actual);
            if (version.deprecated) revert ModelVersionDeprecated(versionId);
        }
        uint256 previous = _aliases[modelId][alias_];
        _aliases[modelId][alias_] = versionId;
        emit AliasMoved(modelId, alias_, previous, versionId);
    }

    /// @inheritdoc IModelRegistry
    function getModel(uint256 modelId) external view returns (Model memory model) {
        model = _models[modelId];
        if (model.owner == address(0)) revert ModelUnknown(modelId);
    }

    /// @inheritdoc IModelRegistry
    function modelIdByName(address owner, string calldata name) external view returns (uint256) {
        return _modelByName[_nameKey(owner, keccak256(bytes(name)))];
    }

    /// @inheritdoc IModelRegistry
    function getVersion(uint256 versionId) external view returns (Version memory version) {
        version = _versions[versionId];
        // slither-disable-next-line incorrect-equality (model ids start at 1: 0 means no such version)
        if (version.modelId == 0) revert ModelVersionUnknown(versionId);
    }

    /// @inheritdoc IModelRegistry
    function versionIdByDigest(bytes32 weightsDigest) external view returns (uint256 versionId) {
        versionId = _versionByDigest[weightsDigest];
        if (versionId & _RESERVED != 0) versionId = 0;
    }

    /// @inheritdoc IModelRegistry
    function reservedFor(bytes32 weightsDigest) external view returns (uint256 taskId) {
        uint256 value = _versionByDigest[weightsDigest];
        if (value & _RESERVED != 0) taskId = value ^ _RESERVED;
    }

    /// @inheritdoc IModelRegistry
    function federatedTrainingOf() external view returns (address) {
        return _federated;
    }

    /// @inheritdoc IModelRegistry
    function aliasOf(uint256 modelId, bytes32 alias_) external view returns (uint256 versionId) {
        versionId = _aliases[modelId][alias_];
        // Checked lazily, like an expiry: deprecating writes one flag however many aliases point here.
        if (versionId != 0 && _versions[versionId].deprecated) versionId = 0;
    }

    /// @inheritdoc IModelRegistry
    function commitmentTime(bytes32 commitment) external view returns (uint64) {
        return _commitments[commitment];
    }

    /// @inheritdoc IModelRegistry
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    /// @inheritdoc IModelRegistry
    function versionCount() external view returns (uint256) {
        return _versionCount;
    }

    // The caller's own address is hashed in, so a commitment copied from the mempool (or a pending
    // publication copied with its salt) never matches a commitment of the copier.
    function _consumeCommitment(bytes32 weightsDigest, bytes16 salt) private {
        bytes32 commitment;
        // keccak256(abi.encode(msg.sender, weightsDigest, salt)) hashed in scratch space (0x00-0x5f): no
        // memory is allocated; the free-memory pointer at 0x40 is restored after.
        // slither-disable-start assembly (scratch-space hashing only; saves the abi.encode allocation)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let free := mload(0x40)
            mstore(0x00, caller())
            mstore(0x20, weightsDigest)
            mstore(0x40, salt)
            commitment := keccak256(0x00, 0x60)
            mstore(0x40, free)
        }
        // slither-disable-end assembly
        uint64 committedAt = _commitments[commitment];
        // slither-disable-next-line incorrect-equality (0 means never committed; not a balance check)
        if (committedAt == 0) revert ModelCommitmentUnknown(commitment);
        uint256 readyAt;
        // Two 64-bit values in 256 bits: cannot overflow.
        unchecked {
            readyAt = uint256(committedAt) + MIN_COMMIT_AGE;
        }
        // A validator's few seconds of timestamp skew are far below any sensible delay.
        if (block.timestamp < readyAt) revert ModelCommitmentTooRecent(commitment, readyAt, block.timestamp);
        delete _commitments[commitment];
    }

    function _recordVersion(
        uint256 modelId,
        bytes32 weightsDigest,
        CompactCid calldata artifact,
        CompactCid calldata metadata,
        address publisher
    ) private returns (uint256 versionId) {
        // The digest's index entry was checked by the caller (free, or reserved for this publication).
        if (weightsDigest == bytes32(0)) revert ModelDigestZero();
        if (artifact.kind > _MAX_CID_KIND) revert ModelCidKindInvalid(artifact.kind);
        if (metadata.kind > _MAX_CID_KIND) revert ModelCidKindInvalid(metadata.kind);
        versionId = ++_versionCount;
        uint32 number = ++_models[modelId].versionCount;
        _versions[versionId] = Version({
            modelId: uint64(modelId),
            number: number,
            publishedAt: uint64(block.timestamp),
            deprecated: false
        });
        _versionByDigest[weightsDigest] = versionId;
        emit VersionPublished(modelId, versionId, weightsDigest, number, publisher, artifact, metadata);
    }

    // Ethical sourcing: hasAccess is true exactly for the owner or a live grantee of a dataset that is
    // not withdrawn, so one call per dataset decides; the slower calls only run to name the failure.
    function _checkAndEmitDatasets(uint256 versionId, uint256[] calldata datasetIds) private {
        uint256 n = datasetIds.length;
        uint256 previous = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint256 datasetId = datasetIds[i];
            if (datasetId <= previous) {
                if (datasetId == 0) revert ModelDatasetUnknown(0);
                revert ModelDatasetsUnsorted(previous, datasetId);
            }
            // The registry is immutable and trusted; the list is the publisher's own calldata.
            // slither-disable-next-line calls-loop
            if (!_datasets.hasAccess(datasetId, msg.sender)) _revertNotCitable(datasetId);
            emit DatasetCited(datasetId, versionId);
            previous = datasetId;
        }
    }

    // Attested by FederatedTraining (each participant's access checked at every update it committed), so
    // no hasAccess here; only the list's form, as for any citation.
    function _emitAttestedDatasets(uint256 versionId, uint256[] calldata datasetIds) private {
        uint256 n = datasetIds.length;
        uint256 previous = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint256 datasetId = datasetIds[i];
            if (datasetId <= previous) {
                if (datasetId == 0) revert ModelDatasetUnknown(0);
                revert ModelDatasetsUnsorted(previous, datasetId);
            }
            emit DatasetCited(datasetId, versionId);
            previous = datasetId;
        }
    }

    // Parents are earlier versions: ids from 1 below the new id, since versions are never deleted.
    function _checkAndEmitParents(uint256 versionId, uint256[] calldata parentVersionIds) private {
        uint256 n = parentVersionIds.length;
        uint256 previous = 0;
        for (uint256 i = 0; i < n; ++i) {
            uint256 parentId = parentVersionIds[i];
            if (parentId <= previous) {
                if (parentId == 0) revert ModelParentUnknown(0);
                revert ModelParentsUnsorted(previous, parentId);
            }
            if (parentId >= versionId) revert ModelParentUnknown(parentId);
            emit VersionDerived(parentId, versionId);
            previous = parentId;
        }
    }

    // Only on the way to a revert, so the loop ends here; the calls just name the failure.
    function _revertNotCitable(uint256 datasetId) private view {
        // slither-disable-next-line calls-loop
        if (datasetId > _datasets.datasetCount()) revert ModelDatasetUnknown(datasetId);
        // slither-disable-next-line calls-loop
        if (_datasets.isWithdrawn(datasetId)) revert ModelDatasetWithdrawn(datasetId);
        revert ModelDatasetNotAccessible(datasetId, msg.sender);
    }

    function _nameKey(address owner, bytes32 nameHash) private pure returns (bytes32) {
        return keccak256(abi.encode(owner, nameHash));
    }
}
