// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IDatasetRegistryView} from "../interfaces/IDatasetRegistryView.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";
import {IRewards} from "../interfaces/IRewards.sol";

/// @title aitrail contribution rewards
/// @notice Paid citations earn dataset owners reward tokens; see IRewards for the formula.
/// @dev Vouchers are written when access is bought (the buyer's transaction pays for the fresh storage),
///      so a publication only reads and clears them: that keeps a citation well under 25,000 gas.
contract Rewards is IRewards, AccessControl {
    using SafeCast for uint256;

    /// @inheritdoc IRewards
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");
    /// @inheritdoc IRewards
    bytes32 public constant REGISTRY_ROLE = keccak256("REGISTRY_ROLE");
    /// @inheritdoc IRewards
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    uint16 private constant _BPS = 10_000;

    /// @inheritdoc IRewards
    uint64 public immutable EPOCH_LENGTH;
    IRewardToken private immutable _token;
    IDatasetRegistryView private immutable _datasets;
    uint64 private immutable _genesis;

    // Read together by recordPurchase and claim: one slot.
    struct Config {
        uint16 rewardBps;
        bool mintingPaused;
        uint128 datasetEpochCap;
    }

    struct DatasetEpoch {
        uint64 epoch;
        uint192 issued;
    }

    Config private _config;
    mapping(uint256 datasetId => DatasetEpoch) private _issued;
    mapping(uint256 datasetId => mapping(address buyer => uint256)) private _vouchers;
    mapping(address account => Account) private _accounts;

    /// @param admin Holder of DEFAULT_ADMIN_ROLE and PAUSER_ROLE; grants MARKET_ROLE and REGISTRY_ROLE.
    /// @param token The reward token; this contract must be given its MINTER_ROLE.
    /// @param datasets The dataset registry, asked for a dataset's owner when a voucher is consumed.
    /// @param epochLength Seconds per epoch for the per-dataset cap.
    /// @param rewardBps_ Share of each access fee turned into a voucher, in basis points.
    /// @param datasetEpochCap_ Most voucher value one dataset can accumulate per epoch.
    constructor(
        address admin,
        IRewardToken token,
        IDatasetRegistryView datasets,
        uint64 epochLength,
        uint16 rewardBps_,
        uint128 datasetEpochCap_
    ) {
        if (admin == address(0) || address(token) == address(0) || address(datasets) == address(0)) {
            revert RewardsZeroAddress();
        }
        if (epochLength == 0) revert RewardsZeroEpochLength();
        if (rewardBps_ > _BPS) revert RewardsRateTooHigh(rewardBps_, _BPS);
        EPOCH_LENGTH = epochLength;
        _token = token;
        _datasets = datasets;
        _genesis = uint64(block.timestamp);
        _config = Config({rewardBps: rewardBps_, mintingPaused: false, datasetEpochCap: datasetEpochCap_});
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    /// @inheritdoc IRewards
    function recordPurchase(uint256 datasetId, address buyer, uint256 fee)
        external
        onlyRole(MARKET_ROLE)
        returns (uint256 amount)
    {
        Config memory config = _config;
        uint64 epoch = currentEpoch();
        DatasetEpoch memory issued = _issued[datasetId];
        if (issued.epoch != epoch) issued = DatasetEpoch({epoch: epoch, issued: 0});
        amount = fee * config.rewardBps / _BPS;
        // issued never exceeds the cap it was checked against, but the cap may since have been lowered.
        uint256 room = config.datasetEpochCap > issued.issued ? config.datasetEpochCap - issued.issued : 0;
        if (amount > room) amount = room;
        // slither-disable-next-line incorrect-equality (nothing to issue; not a balance check)
        if (amount == 0) return 0;
        issued.issued += amount.toUint192();
        _issued[datasetId] = issued;
        _vouchers[datasetId][buyer] += amount;
        emit VoucherIssued(datasetId, buyer, amount, epoch);
    }

    /// @inheritdoc IRewards
    function creditCitations(uint256 versionId, address publisher, uint256[] calldata datasetIds)
        external
        onlyRole(REGISTRY_ROLE)
    {
        uint256 n = datasetIds.length;
        for (uint256 i = 0; i < n; ++i) {
            uint256 datasetId = datasetIds[i];
            uint256 amount = _vouchers[datasetId][publisher];
            if (amount == 0) continue;
            delete _vouchers[datasetId][publisher];
            // The registry is immutable and trusted; the list is the publication's own calldata.
            // slither-disable-next-line calls-loop
            address owner = _datasets.datasetOwner(datasetId);
            if (owner == publisher) {
                emit VoucherForfeited(datasetId, publisher, amount);
                continue;
            }
            _accounts[owner].credited += amount.toUint128();
            emit RewardCredited(owner, datasetId, versionId, amount);
        }
    }

    /// @inheritdoc IRewards
    function claim() external returns (uint256 amount) {
        Account memory account = _accounts[msg.sender];
        uint256 owed = account.credited - account.claimed;
        if (owed == 0) revert RewardsNothingToClaim(msg.sender);
        if (_config.mintingPaused) revert RewardsMintingPaused();
        // Honest credit is never lost to the cap: mint what fits now, the rest stays claimable (burns by
        // later purchases make room again).
        uint256 supply = _token.totalSupply();
        uint256 cap = _token.cap();
        uint256 headroom = cap > supply ? cap - supply : 0;
        amount = owed < headroom ? owed : headroom;
        if (amount == 0) revert RewardsCapReached(msg.sender, owed);
        // Mark first: a token or receiver that calls back into claim() finds only the rest.
        _accounts[msg.sender].claimed = account.claimed + amount.toUint128();
        emit RewardClaimed(msg.sender, amount, owed - amount);
        _token.mint(msg.sender, amount);
    }

    /// @inheritdoc IRewards
    function setRewardRate(uint16 bps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (bps > _BPS) revert RewardsRateTooHigh(bps, _BPS);
        uint16 previous = _config.rewardBps;
        _config.rewardBps = bps;
        emit RewardRateSet(previous, bps);
    }

    /// @inheritdoc IRewards
    function setDatasetEpochCap(uint128 cap) external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint128 previous = _config.datasetEpochCap;
        _config.datasetEpochCap = cap;
        emit DatasetEpochCapSet(previous, cap);
    }

    /// @inheritdoc IRewards
    function setMintingPaused(bool paused) external onlyRole(PAUSER_ROLE) {
        _config.mintingPaused = paused;
        emit MintingPausedSet(paused);
    }

    /// @inheritdoc IRewards
    function accountOf(address account) external view returns (Account memory) {
        return _accounts[account];
    }

    /// @inheritdoc IRewards
    function claimable(address account) external view returns (uint256) {
        Account memory a = _accounts[account];
        return a.credited - a.claimed;
    }

    /// @inheritdoc IRewards
    function voucherOf(uint256 datasetId, address buyer) external view returns (uint256) {
        return _vouchers[datasetId][buyer];
    }

    /// @inheritdoc IRewards
    function issuedThisEpoch(uint256 datasetId) external view returns (uint256) {
        DatasetEpoch memory issued = _issued[datasetId];
        // slither-disable-next-line incorrect-equality (epoch numbers, not balances)
        return issued.epoch == currentEpoch() ? issued.issued : 0;
    }

    /// @inheritdoc IRewards
    function rewardBps() external view returns (uint16) {
        return _config.rewardBps;
    }

    /// @inheritdoc IRewards
    function datasetEpochCap() external view returns (uint128) {
        return _config.datasetEpochCap;
    }

    /// @inheritdoc IRewards
    function mintingPaused() external view returns (bool) {
        return _config.mintingPaused;
    }

    /// @inheritdoc IRewards
    function currentEpoch() public view returns (uint64) {
        return (uint64(block.timestamp) - _genesis) / EPOCH_LENGTH;
    }
}
