// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IModelRegistry} from "./IModelRegistry.sol";

/// @title aitrail federated training rounds
/// @notice A coordinator runs a training task for one of its ModelRegistry models with a fixed list of
///         participants, each training on one dataset it owns or holds access to (the same rule as
///         model publication, checked when the task is created and again at every update). Per round,
///         every participant commits the digest and CID of its update (the update itself lives on
///         IPFS, encrypted for the coordinator); then the coordinator commits the aggregate's digest and
///         CID and which of the committed updates it included. Only hashes, CIDs and small numbers are
///         stored; anyone can fetch the updates and recompute the aggregate off-chain.
///
///         Rewards, from a pool of existing reward tokens the coordinator escrows at creation (nothing is
///         minted): each round's share is `pool / rounds`; it is split equally among the round's
///         included updates, `share / included` each, credited when the aggregate is committed.
///         Excluded or missing updates earn nothing. What rounding, rounds without included updates and
///         rounds never run leave over goes back to the coordinator when the task is closed.
///         Bound: credited <= pool, and the contract always holds at least `pool - claimed` per open
///         task.
///
///         The final model: once every round is aggregated, the coordinator publishes the last aggregate
///         as a ModelRegistry version through `publishFinalModel`, which cites on-chain the dataset of
///         every participant whose update was included in at least one round (the model is made of
///         included updates only: an excluded participant's data is not in it, and citing it would give
///         false lineage). This contract attests those citations: it checked each participant's access
///         at every update it committed, so a participant whose grant ended, or whose dataset was
///         withdrawn, after an included update is still cited (its data is in the model; the audit shows
///         the withdrawal), and one refused mid-task is cited for the rounds it was included in. The
///         weights are bound to the task: committing the last round reserves, in the registry, the
///         weights digest of the model made of that aggregate (the OpenSSF root digest of a one-file
///         model, SHA-256 of the aggregate's SHA-256 digest), and only this task's publication can take
///         it. A task closed before its last round has no final model to publish this way.
///
///         Trust: the coordinator chooses the included set (the aggregation rule is public and the
///         aggregate is recomputable, so a dishonest choice is detectable, not prevented) and may close
///         a task early; rewards already credited stay claimable after closing.
interface IFederatedTraining {
    /// @notice A task, as stored: two slots.
    struct Task {
        address coordinator;
        uint32 rounds;
        uint32 aggregatedRounds; // rounds 1..aggregatedRounds are done; the open round is the next one
        uint16 participantCount;
        bool closed;
        uint64 modelId;
        uint96 pool;
        uint96 credited;
    }

    /// @notice A participant of a task, as stored: one slot.
    struct Participant {
        uint64 datasetId;
        uint32 index; // 1-based position in the task's participant list; 0 = not a participant
        uint32 committedRound; // the last round this participant committed an update for
        uint96 earned; // credited and not yet claimed
        uint32 includedRounds; // rounds whose aggregate included this participant's update
    }

    /// @notice `coordinator` created task `taskId` for model `modelId` with `rule` (e.g. "MultiKrum f=1
    ///         keep=4"), `rounds` rounds and `pool` reward tokens escrowed.
    event TaskCreated(
        uint256 indexed taskId,
        address indexed coordinator,
        uint256 indexed modelId,
        string rule,
        uint32 rounds,
        uint96 pool
    );
    /// @notice `participant` joined task `taskId` at position `index`, training on `datasetId`.
    event ParticipantAdded(
        uint256 indexed taskId, address indexed participant, uint256 indexed datasetId, uint32 index
    );
    /// @notice `participant` committed its round-`round` update: `digest` of the encoded update, `cid`
    ///         of its encrypted copy on IPFS.
    event UpdateCommitted(
        uint256 indexed taskId,
        uint32 indexed round,
        address indexed participant,
        bytes32 digest,
        IModelRegistry.CompactCid cid
    );
    /// @notice The coordinator committed round `round`'s aggregate. Bit i-1 of `committedMask` is set for
    ///         the participant at index i that committed an update; `includedMask` is the subset it
    ///         aggregated (the rest of `committedMask` was excluded); each included update was credited
    ///         `rewardEach`.
    event AggregateCommitted(
        uint256 indexed taskId,
        uint32 indexed round,
        bytes32 digest,
        IModelRegistry.CompactCid cid,
        uint256 committedMask,
        uint256 includedMask,
        uint96 rewardEach
    );
    /// @notice Task `taskId` was closed; `refund` tokens went back to the coordinator.
    event TaskClosed(uint256 indexed taskId, uint96 refund);
    /// @notice `participant` claimed `amount` tokens it earned in task `taskId`.
    event RewardClaimed(uint256 indexed taskId, address indexed participant, uint96 amount);
    // publishFinalModel changes no state here: its record is the ModelRegistry's VersionPublished,
    // DatasetCited and VersionTrainedFederated(versionId, taskId, rounds).

    /// @notice A zero address where a contract is required.
    error FLZeroAddress();
    /// @notice An id that names no task.
    error FLTaskUnknown(uint256 taskId);
    /// @notice `account` called a coordinator-only function of task `taskId`.
    error FLNotCoordinator(uint256 taskId, address account);
    /// @notice `account` is not a participant of task `taskId`.
    error FLNotParticipant(uint256 taskId, address account);
    /// @notice Task creation by `account`, which does not own model `modelId`.
    error FLNotModelOwner(uint256 modelId, address account);
    /// @notice A task of zero rounds, or more than `maxRounds`.
    error FLRoundsInvalid(uint32 rounds, uint32 maxRounds);
    /// @notice A participant list of `count` entries: at least 1, at most `maxCount`.
    error FLParticipantCountInvalid(uint256 count, uint256 maxCount);
    /// @notice The participant and dataset lists differ in length.
    error FLListLengthMismatch(uint256 participants, uint256 datasets);
    /// @notice `participant` is listed twice (or is the zero address) in one task.
    error FLParticipantInvalid(address participant);
    /// @notice `participant` neither owns nor holds live access to `datasetId`.
    error FLDatasetNotAccessible(uint256 datasetId, address participant);
    /// @notice The task is closed.
    error FLTaskClosed(uint256 taskId);
    /// @notice A commit for `round` while `openRound` is the round open (0 once all rounds are done).
    error FLRoundNotOpen(uint256 taskId, uint32 round, uint32 openRound);
    /// @notice `participant` already committed an update for `round`.
    error FLUpdateAlreadyCommitted(uint256 taskId, uint32 round, address participant);
    /// @notice A zero digest.
    error FLDigestZero();
    /// @notice A CID kind other than 0 (CIDv0), 1 (CIDv1 dag-pb) or 2 (CIDv1 raw).
    error FLCidKindInvalid(uint8 kind);
    /// @notice The included mask names the participant at `index`, which committed no update this round.
    error FLIncludedWithoutUpdate(uint256 taskId, uint32 round, uint32 index);
    /// @notice `claimReward` by `participant`, which has nothing left to claim.
    error FLNothingToClaim(uint256 taskId, address participant);
    /// @notice The model registry names `federated` (zero: none yet) as its FederatedTraining, not this.
    error FLNotWired(address federated);
    /// @notice Task `taskId` has `aggregated` of its `rounds` rounds aggregated: no final model yet.
    error FLTaskNotFinished(uint256 taskId, uint32 aggregated, uint32 rounds);
    /// @notice Cited dataset ids must be strictly ascending: `previous` came before `next`.
    error FLDatasetsUnsorted(uint256 previous, uint256 next);
    /// @notice `count` datasets cited for task `taskId`, which has only `participants` participants.
    error FLCitationCountInvalid(uint256 taskId, uint256 count, uint256 participants);
    /// @notice `datasetId`, trained on by an included participant of task `taskId`, is not cited.
    error FLCitationMissing(uint256 taskId, uint256 datasetId);
    /// @notice `datasetId` is cited, but no participant of task `taskId` included in a round trained on it.
    error FLCitationNotIncluded(uint256 taskId, uint256 datasetId);

    /// @notice Most participants per task (the included set is a 256-bit mask).
    function MAX_PARTICIPANTS() external view returns (uint256);
    /// @notice Most rounds per task.
    function MAX_ROUNDS() external view returns (uint32);

    /// @notice Create a task for model `modelId` (the caller must own it; the registry must name this
    ///         contract as its FederatedTraining, or the final model could not be published) and escrow
    ///         `pool` reward tokens from the caller (approve them first). `datasetIds[i]` is what
    ///         `participants[i]` trains on.
    /// @return taskId The new task's id (from 1).
    function createTask(
        uint256 modelId,
        string calldata rule,
        uint32 rounds,
        address[] calldata participants,
        uint256[] calldata datasetIds,
        uint96 pool
    ) external returns (uint256 taskId);

    /// @notice Commit the caller's update for the open round `round` of `taskId`. The caller must still
    ///         have access to its dataset.
    function commitUpdate(uint256 taskId, uint32 round, bytes32 digest, IModelRegistry.CompactCid calldata cid)
        external;

    /// @notice Commit round `round`'s aggregate (coordinator only), include the updates named by
    ///         `includedMask` (bit i-1 for the participant at index i; each must have committed this round),
    ///         credit their rewards and open the next round.
    function commitAggregate(
        uint256 taskId,
        uint32 round,
        bytes32 digest,
        IModelRegistry.CompactCid calldata cid,
        uint256 includedMask
    ) external;

    /// @notice Publish the final model of `taskId` (coordinator only, every round aggregated) as the next
    ///         version of the task's model, through ModelRegistry's `publishFederatedVersion`.
    /// @param weightsDigest The weights digest of the model made of the last aggregate, as reserved when
    ///        the last round was committed (`sha256(abi.encodePacked(lastAggregateDigest))`).
    /// @param artifact CID of the model files (the one aggregate file) on IPFS.
    /// @param metadata CID of the version's metadata (the task, its rounds, participants, datasets).
    /// @param datasetIds Exactly the datasets of the participants included in at least one round,
    ///        strictly ascending (several participants on one dataset cite it once).
    /// @return versionId The new version's id.
    /// @dev Reverts `FLTaskUnknown`, `FLNotCoordinator`, `FLTaskNotFinished`, `FLDatasetsUnsorted`,
    ///      `FLCitationCountInvalid`, `FLCitationMissing`, `FLCitationNotIncluded`, and the registry's
    ///      `ModelNotOwner` (the model was transferred), `ModelDigestNotReserved` (other weights),
    ///      `ModelDigestPublished` (published already: once per task).
    function publishFinalModel(
        uint256 taskId,
        bytes32 weightsDigest,
        IModelRegistry.CompactCid calldata artifact,
        IModelRegistry.CompactCid calldata metadata,
        uint256[] calldata datasetIds
    ) external returns (uint256 versionId);

    /// @notice The model registry whose models tasks train.
    function modelRegistry() external view returns (IModelRegistry);

    /// @notice Close `taskId` (coordinator only, at any time) and refund what was not credited.
    function closeTask(uint256 taskId) external;

    /// @notice Transfer to the caller what it earned in `taskId` and has not claimed.
    function claimReward(uint256 taskId) external returns (uint96 amount);

    /// @notice Task `taskId`; reverts `FLTaskUnknown` for an unknown id.
    function getTask(uint256 taskId) external view returns (Task memory);

    /// @notice `account`'s entry in `taskId` (index 0 if it is not a participant).
    function participantOf(uint256 taskId, address account) external view returns (Participant memory);

    /// @notice The participant at 1-based `index` of `taskId`.
    function participantAt(uint256 taskId, uint32 index) external view returns (address);

    /// @notice Number of tasks ever created.
    function taskCount() external view returns (uint256);
}
