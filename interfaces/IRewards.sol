// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title aitrail contribution rewards
/// @notice Dataset owners earn reward tokens when a model version that cites their dataset is
///         published, by this formula:
///
///         1. A citation earns only if it is *paid for*. When researcher R buys access to dataset D
///            through the AccessMarket for fee F (paid to D's owner), R receives a voucher on (D, R):
///                voucher += min(F * rewardBps / 10_000, datasetEpochCap - issued[D][epoch])
///            where `epoch = (block.timestamp - genesis) / EPOCH_LENGTH`. The per-dataset, per-epoch cap
///            bounds what any one dataset can earn per epoch however often it is bought.
///         2. When R publishes a model version citing D, the whole voucher on (D, R) is consumed and
///            credited to D's owner at that moment. One paid purchase backs at most one rewarded
///            citation; a citation without a voucher (free grant, or the owner citing its own dataset)
///            earns nothing.
///         3. The owner never holds a voucher on its own dataset (the market refuses self-purchase), and
///            a voucher whose dataset has since passed to the publisher is forfeited, not credited.
///
///         So a publisher citing its own datasets over and over earns nothing, and each rewarded token
///         needs a real token payment of 10_000 / rewardBps times as much to the dataset owner. The
///         residual attack (two accounts of one person buying from each other) recovers the fee but is
///         bounded by `datasetEpochCap` per dataset per epoch and costs a purchase plus a publication.
///
///         Claims are pull-based: `claim()` marks everything credited as claimed, then mints it through
///         the token's MINTER_ROLE. Invariant per account: credited == claimable + claimed.
interface IRewards {
    /// @notice Per-account totals. `credited - claimed` is what `claim()` would mint now.
    struct Account {
        uint128 credited;
        uint128 claimed;
    }

    /// @notice A purchase of `datasetId` by `buyer` added `amount` to their voucher in `epoch`.
    event VoucherIssued(uint256 indexed datasetId, address indexed buyer, uint256 amount, uint64 epoch);
    /// @notice Publishing version `versionId` consumed a voucher and credited `amount` to `owner`.
    event RewardCredited(
        address indexed owner, uint256 indexed datasetId, uint256 indexed versionId, uint256 amount
    );
    /// @notice A voucher was consumed without credit because its dataset now belongs to the publisher.
    event VoucherForfeited(uint256 indexed datasetId, address indexed publisher, uint256 amount);
    /// @notice `account` claimed `amount`, minted to it.
    event RewardClaimed(address indexed account, uint256 amount);
    /// @notice The share of access fees turned into vouchers changed.
    event RewardRateSet(uint16 previousBps, uint16 newBps);
    /// @notice The per-dataset, per-epoch voucher cap changed.
    event DatasetEpochCapSet(uint128 previousCap, uint128 newCap);
    /// @notice Claims were paused (true) or resumed (false). Crediting continues while paused.
    event MintingPausedSet(bool paused);

    /// @notice `claim` by `account` with nothing credited beyond what it already claimed.
    error RewardsNothingToClaim(address account);
    /// @notice `claim` while minting is paused.
    error RewardsMintingPaused();
    /// @notice A reward rate above 100 % (10_000 basis points).
    error RewardsRateTooHigh(uint16 bps, uint16 maxBps);
    /// @notice An epoch length of zero at deployment.
    error RewardsZeroEpochLength();
    /// @notice A zero address where a contract is required.
    error RewardsZeroAddress();

    /// @notice Role of the AccessMarket, which reports paid purchases.
    function MARKET_ROLE() external view returns (bytes32);
    /// @notice Role of the ModelRegistry, which reports citations.
    function REGISTRY_ROLE() external view returns (bytes32);
    /// @notice Role that may pause and resume minting.
    function PAUSER_ROLE() external view returns (bytes32);
    /// @notice Length of an epoch in seconds, fixed at deployment.
    function EPOCH_LENGTH() external view returns (uint64);

    /// @notice Record a paid purchase: `buyer` paid `fee` for access to `datasetId`.
    /// @dev MARKET_ROLE only. Writes the voucher now, so publishing later only reads and clears it.
    ///      The amount added (after the epoch cap) is in `VoucherIssued`; nothing is emitted for zero.
    function recordPurchase(uint256 datasetId, address buyer, uint256 fee) external;

    /// @notice Credit the owners of `datasetIds` for their citation by `publisher` in `versionId`.
    /// @dev REGISTRY_ROLE only. One storage read per dataset without a voucher; the list is the
    ///      publication's own, bounded by its calldata.
    function creditCitations(uint256 versionId, address publisher, uint256[] calldata datasetIds) external;

    /// @notice Mint everything credited to the caller and not yet claimed.
    /// @return amount Minted to the caller.
    function claim() external returns (uint256 amount);

    /// @notice Set the share of access fees turned into vouchers (basis points, at most 10_000).
    /// @dev DEFAULT_ADMIN_ROLE only.
    function setRewardRate(uint16 bps) external;

    /// @notice Set how much voucher value one dataset can accumulate per epoch.
    /// @dev DEFAULT_ADMIN_ROLE only.
    function setDatasetEpochCap(uint128 cap) external;

    /// @notice Pause or resume claims (minting). PAUSER_ROLE only.
    function setMintingPaused(bool paused) external;

    /// @notice Totals for `account`.
    function accountOf(address account) external view returns (Account memory);

    /// @notice What `claim()` would mint for `account` now.
    function claimable(address account) external view returns (uint256);

    /// @notice Unconsumed voucher held by `buyer` on `datasetId`.
    function voucherOf(uint256 datasetId, address buyer) external view returns (uint256);

    /// @notice Voucher value issued for `datasetId` in the current epoch.
    function issuedThisEpoch(uint256 datasetId) external view returns (uint256);

    /// @notice Current epoch number (0 at deployment).
    function currentEpoch() external view returns (uint64);

    /// @notice Reward rate in basis points of the access fee.
    function rewardBps() external view returns (uint16);

    /// @notice Per-dataset, per-epoch voucher cap.
    function datasetEpochCap() external view returns (uint128);

    /// @notice Whether claims are paused.
    function mintingPaused() external view returns (bool);
}
