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
///         4. The reward is paid for up front: the market burns the voucher amount out of the buyer's fee
///            in the same purchase (the owner is paid `F - voucher` now), and the burned share comes
///            back to the owner as minted reward only if the purchase backs a citation.
///
///         Bound: every token minted by `claim` was first burned by a purchase, one for one
///         (sum of claims <= sum of credits <= sum of vouchers issued = sum burned by the market), so
///         rewards never add to the supply beyond what purchases removed. Colluding accounts (one
///         person buying its own datasets, with any number of datasets and accounts) get back at most
///         what they burned: they cannot mint anything they did not pay for. On top, each dataset
///         issues at most `datasetEpochCap` per epoch.
///
///         Claims are pull-based: `claim()` marks what it mints as claimed, then mints it through the
///         token's MINTER_ROLE. Near the token cap it mints what still fits (min(claimable, cap -
///         totalSupply)) and keeps the rest claimable. Invariant per account: credited == claimable +
///         claimed.
///
///         Trust: the holder of DEFAULT_ADMIN_ROLE can grant itself MARKET_ROLE (and the token's admin
///         MINTER_ROLE) and so forge vouchers or mint. Deployments that must not trust the admin wire the
///         roles and then renounce DEFAULT_ADMIN_ROLE on both contracts (AccessControl.renounceRole).
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
    /// @notice `account` claimed `amount`, minted to it; `remaining` stays claimable (the token cap).
    event RewardClaimed(address indexed account, uint256 amount, uint256 remaining);
    /// @notice The share of access fees turned into vouchers changed.
    event RewardRateSet(uint16 previousBps, uint16 newBps);
    /// @notice The per-dataset, per-epoch voucher cap changed.
    event DatasetEpochCapSet(uint128 previousCap, uint128 newCap);
    /// @notice Claims were paused (true) or resumed (false). Crediting continues while paused.
    event MintingPausedSet(bool paused);

    /// @notice `claim` by `account` with nothing credited beyond what it already claimed.
    error RewardsNothingToClaim(address account);
    /// @notice `claim` by `account`, owed `claimable`, while the token's supply is at its cap.
    error RewardsCapReached(address account, uint256 claimable);
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
    ///      The market must burn the returned amount from the buyer in the same transaction.
    /// @return amount The voucher amount issued (0 when capped or at a zero rate).
    function recordPurchase(uint256 datasetId, address buyer, uint256 fee) external returns (uint256 amount);

    /// @notice Credit the owners of `datasetIds` for their citation by `publisher` in `versionId`.
    /// @dev REGISTRY_ROLE only. One storage read per dataset without a voucher; the list is the
    ///      publication's own, bounded by its calldata.
    function creditCitations(uint256 versionId, address publisher, uint256[] calldata datasetIds) external;

    /// @notice Mint what is credited to the caller and not yet claimed, as far as the token cap allows.
    /// @dev Reverts `RewardsNothingToClaim`, `RewardsMintingPaused`, `RewardsCapReached`.
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
