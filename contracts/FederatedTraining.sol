// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IDatasetRegistryView} from "../interfaces/IDatasetRegistryView.sol";
import {IFederatedTraining} from "../interfaces/IFederatedTraining.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";

/// @title aitrail federated training rounds
/// @notice See IFederatedTraining. Storage holds what a later call must check (the task, each
///         participant's slot, the index → address list); digests, CIDs and masks live in events.
contract FederatedTraining is IFederatedTraining {
    using SafeERC20 for IERC20;

    uint8 private constant _MAX_CID_KIND = 2;
    /// @inheritdoc IFederatedTraining
    uint256 public constant MAX_PARTICIPANTS = 256;
    /// @inheritdoc IFederatedTraining
    uint32 public constant MAX_ROUNDS = 10_000;

    IDatasetRegistryView private immutable _datasets;
    IModelRegistry private immutable _models;
    IERC20 private immutable _token;

    uint256 private _taskCount;
    mapping(uint256 taskId => Task) private _tasks;
    mapping(uint256 taskId => mapping(address account => Participant)) private _participants;
    mapping(uint256 taskId => mapping(uint32 index => address account)) private _participantAt;

    /// @param datasets The dataset registry that participants' access is checked against.
    /// @param models The model registry whose models tasks train.
    /// @param token The reward token pools are escrowed in (existing tokens: this contract never mints).
    constructor(IDatasetRegistryView datasets, IModelRegistry models, IERC20 token) {
        if (address(datasets) == address(0) || address(models) == address(0) || address(token) == address(0)) {
            revert FLZeroAddress();
        }
        _datasets = datasets;
        _models = models;
        _token = token;
    }

    modifier onlyCoordinator(uint256 taskId) {
        address coordinator = _tasks[taskId].coordinator;
        if (coordinator == address(0)) revert FLTaskUnknown(taskId);
        if (coordinator != msg.sender) revert FLNotCoordinator(taskId, msg.sender);
        _;
    }

    /// @inheritdoc IFederatedTraining
    function createTask(
        uint256 modelId,
        string calldata rule,
        uint32 rounds,
        address[] calldata participants,
        uint256[] calldata datasetIds,
        uint96 pool
    ) external returns (uint256 taskId) {
        // The final aggregate is published as a version of this model, so only its owner may train it.
        if (_models.getModel(modelId).owner != msg.sender) revert FLNotModelOwner(modelId, msg.sender);
        // A task this registry would not let us publish could never have its datasets cited on-chain.
        address federated = _models.federatedTrainingOf();
        if (federated != address(this)) revert FLNotWired(federated);
        if (rounds == 0 || rounds > MAX_ROUNDS) revert FLRoundsInvalid(rounds, MAX_ROUNDS);
        uint256 n = participants.length;
        if (n == 0 || n > MAX_PARTICIPANTS) revert FLParticipantCountInvalid(n, MAX_PARTICIPANTS);
        if (datasetIds.length != n) revert FLListLengthMismatch(n, datasetIds.length);
        taskId = ++_taskCount;
        _tasks[taskId] = Task({
            coordinator: msg.sender,
            rounds: rounds,
            aggregatedRounds: 0,
            // n <= 256 (checked above): fits 16 bits; modelId comes from the registry's counter.
            participantCount: uint16(n),
            closed: false,
            modelId: uint64(modelId),
            pool: pool,
            credited: 0
        });
        emit TaskCreated(taskId, msg.sender, modelId, rule, rounds, pool);
        for (uint256 i = 0; i < n; ++i) {
            _addParticipant(taskId, participants[i], datasetIds[i], uint32(i + 1));
        }
        if (pool != 0) _token.safeTransferFrom(msg.sender, address(this), pool);
    }

    /// @inheritdoc IFederatedTraining
    function commitUpdate(uint256 taskId, uint32 round, bytes32 digest, IModelRegistry.CompactCid calldata cid)
        external
    {
        Task storage task = _tasks[taskId];
        _checkRoundOpen(taskId, task, round);
        Participant storage participant = _participants[taskId][msg.sender];
        if (participant.index == 0) revert FLNotParticipant(taskId, msg.sender);
        if (participant.committedRound >= round) revert FLUpdateAlreadyCommitted(taskId, round, msg.sender);
        if (digest == bytes32(0)) revert FLDigestZero();
        if (cid.kind > _MAX_CID_KIND) revert FLCidKindInvalid(cid.kind);
        // Checked at every update, not only at creation: an expired or revoked grant, or a withdrawn
        // dataset, stops the participant from contributing further rounds trained on it.
        uint256 datasetId = participant.datasetId;
        if (!_datasets.hasAccess(datasetId, msg.sender)) revert FLDatasetNotAccessible(datasetId, msg.sender);
        participant.committedRound = round;
        emit UpdateCommitted(taskId, round, msg.sender, digest, cid);
    }

    /// @inheritdoc IFederatedTraining
    function commitAggregate(
        uint256 taskId,
        uint32 round,
        bytes32 digest,
        IModelRegistry.CompactCid calldata cid,
        uint256 includedMask
    ) external onlyCoordinator(taskId) {
        Task storage task = _tasks[taskId];
        _checkRoundOpen(taskId, task, round);
        if (digest == bytes32(0)) revert FLDigestZero();
        if (cid.kind > _MAX_CID_KIND) revert FLCidKindInvalid(cid.kind);
        (uint256 committedMask, address[] memory included) =
            _collectIncluded(taskId, round, task.participantCount, includedMask);
        uint96 rewardEach = _credit(taskId, task, included);
        task.aggregatedRounds = round;
        emit AggregateCommitted(taskId, round, digest, cid, committedMask, includedMask, rewardEach);
        if (round == task.rounds) {
            // The final model is the one file holding this aggregate; its OpenSSF root digest is the
            // SHA-256 of the file's SHA-256, `digest`. Reserved now, while the digest is first seen, so no
            // one can publish it through the ordinary path before the coordinator's publishFinalModel.
            // The registry is immutable and trusted (it is our model registry); no state follows the call.
            _models.reserveFederatedDigest(sha256(abi.encodePacked(digest)), taskId);
        }
    }

    /// @inheritdoc IFederatedTraining
    function publishFinalModel(
        uint256 taskId,
        bytes32 weightsDigest,
        IModelRegistry.CompactCid calldata artifact,
        IModelRegistry.CompactCid calldata metadata,
        uint256[] calldata datasetIds
    ) external onlyCoordinator(taskId) returns (uint256 versionId) {
        Task storage task = _tasks[taskId];
        uint32 rounds = task.rounds;
        if (task.aggregatedRounds != rounds) revert FLTaskNotFinished(taskId, task.aggregatedRounds, rounds);
        _checkCitations(taskId, task.participantCount, datasetIds);
        // The registry binds the weights (the digest must be reserved for this task, once) and the model
        // owner; this contract vouches for the citations it has just checked.
        versionId = _models.publishFederatedVersion(
            IModelRegistry.FederatedVersion({
                modelId: task.modelId,
                publisher: msg.sender,
                taskId: taskId,
                rounds: rounds,
                weightsDigest: weightsDigest,
                artifact: artifact,
                metadata: metadata
            }),
            datasetIds
        );
    }

    /// @inheritdoc IFederatedTraining
    function modelRegistry() external view returns (IModelRegistry) {
        return _models;
    }

    /// @inheritdoc IFederatedTraining
    function closeTask(uint256 taskId) external onlyCoordinator(taskId) {
        Task storage task = _tasks[taskId];
        if (task.closed) revert FLTaskClosed(taskId);
        task.closed = true;
        uint96 refund = task.pool - task.credited;
        emit TaskClosed(taskId, refund);
        if (refund != 0) _token.safeTransfer(msg.sender, refund);
    }

    /// @inheritdoc IFederatedTraining
    function claimReward(uint256 taskId) external returns (uint96 amount) {
        Participant storage participant = _participants[taskId][msg.sender];
        if (participant.index == 0) revert FLNotParticipant(taskId, msg.sender);
        amount = participant.earned;
        if (amount == 0) revert FLNothingToClaim(taskId, msg.sender);
        // Cleared before the transfer, so a re-entering token could not pay the same credit twice.
        participant.earned = 0;
        emit RewardClaimed(taskId, msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IFederatedTraining
    function getTask(uint256 taskId) external view returns (Task memory task) {
        task = _tasks[taskId];
        if (task.coordinator == address(0)) revert FLTaskUnknown(taskId);
    }

    /// @inheritdoc IFederatedTraining
    function participantOf(uint256 taskId, address account) external view returns (Participant memory) {
        return _participants[taskId][account];
    }

    /// @inheritdoc IFederatedTraining
    function participantAt(uint256 taskId, uint32 index) external view returns (address) {
        return _participantAt[taskId][index];
    }

    /// @inheritdoc IFederatedTraining
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    function _addParticipant(uint256 taskId, address account, uint256 datasetId, uint32 index) private {
        Participant storage participant = _participants[taskId][account];
        if (account == address(0) || participant.index != 0) revert FLParticipantInvalid(account);
        // The same ethical-sourcing rule as ModelRegistry: owner or live grantee of a dataset not withdrawn.
        // The registry is immutable and trusted; the list is the coordinator's own calldata.
        // slither-disable-next-line calls-loop
        if (!_datasets.hasAccess(datasetId, account)) revert FLDatasetNotAccessible(datasetId, account);
        // Dataset ids come from the registry's counter: far below 2**64.
        participant.datasetId = uint64(datasetId);
        participant.index = index;
        _participantAt[taskId][index] = account;
        emit ParticipantAdded(taskId, account, datasetId, index);
    }

    // One pass over the participants: who committed this round (the mask for the event) and the accounts
    // the coordinator included, each of which must have committed.
    function _collectIncluded(uint256 taskId, uint32 round, uint256 n, uint256 includedMask)
        private
        view
        returns (uint256 committedMask, address[] memory included)
    {
        // Bits above the participant count name nobody: refused like any other absent update.
        if (n < 256 && includedMask >> n != 0) revert FLIncludedWithoutUpdate(taskId, round, uint32(n + 1));
        included = new address[](n);
        uint256 count = 0;
        for (uint32 index = 1; index <= n; ++index) {
            address account = _participantAt[taskId][index];
            uint256 bit = uint256(1) << (index - 1);
            bool committed = _participants[taskId][account].committedRound == round;
            if (committed) committedMask |= bit;
            if (includedMask & bit != 0) {
                if (!committed) revert FLIncludedWithoutUpdate(taskId, round, index);
                included[count++] = account;
            }
        }
        // Shrink the array to the included accounts (memory-only; nothing past `count` was written).
        // slither-disable-start assembly (one length store on a memory array this function allocated)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(included, count)
        }
        // slither-disable-end assembly
    }

    function _credit(uint256 taskId, Task storage task, address[] memory included)
        private
        returns (uint96 rewardEach)
    {
        uint256 count = included.length;
        if (count == 0) return 0;
        // Integer division rounds down, so count * rewardEach <= pool / rounds: summed over all rounds
        // the credits never exceed the pool. pool < 2**96, so the product fits 96 bits too.
        rewardEach = uint96(uint256(task.pool) / task.rounds / count);
        for (uint256 i = 0; i < count; ++i) {
            Participant storage participant = _participants[taskId][included[i]];
            participant.earned += rewardEach;
            // At most one increment per round and rounds <= MAX_ROUNDS: far below 2**32.
            unchecked {
                ++participant.includedRounds;
            }
        }
        task.credited += uint96(uint256(rewardEach) * count);
    }

    // The cited list must be exactly the set of datasets of participants included at least once: each
    // included participant's dataset is found in the (sorted) list by binary search and its position
    // marked; every position must end up marked. n <= 256, so the marks fit one word.
    function _checkCitations(uint256 taskId, uint256 n, uint256[] calldata datasetIds) private view {
        uint256 m = datasetIds.length;
        if (m > n) revert FLCitationCountInvalid(taskId, m, n);
        uint256 previous = 0;
        for (uint256 i = 0; i < m; ++i) {
            if (datasetIds[i] <= previous) revert FLDatasetsUnsorted(previous, datasetIds[i]);
            previous = datasetIds[i];
        }
        uint256 marked = 0;
        for (uint32 index = 1; index <= n; ++index) {
            Participant storage participant = _participants[taskId][_participantAt[taskId][index]];
            if (participant.includedRounds == 0) continue;
            uint256 position = _find(datasetIds, participant.datasetId);
            if (position == m) revert FLCitationMissing(taskId, participant.datasetId);
            marked |= uint256(1) << position;
        }
        for (uint256 i = 0; i < m; ++i) {
            if (marked >> i & 1 == 0) revert FLCitationNotIncluded(taskId, datasetIds[i]);
        }
    }

    // Position of `value` in the strictly ascending `list`, or list.length if it is absent.
    function _find(uint256[] calldata list, uint256 value) private pure returns (uint256) {
        uint256 low = 0;
        uint256 high = list.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            uint256 at = list[mid];
            if (at == value) return mid;
            if (at < value) low = mid + 1;
            else high = mid;
        }
        return list.length;
    }

    function _checkRoundOpen(uint256 taskId, Task storage task, uint32 round) private view {
        if (task.coordinator == address(0)) revert FLTaskUnknown(taskId);
        if (task.closed) revert FLTaskClosed(taskId);
        uint32 done = task.aggregatedRounds;
        uint32 openRound = done < task.rounds ? done + 1 : 0;
        if (round != openRound || openRound == 0) revert FLRoundNotOpen(taskId, round, openRound);
    }
}
