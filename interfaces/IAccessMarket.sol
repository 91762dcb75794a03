// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title aitrail access market
/// @notice Dataset owners price access per day in the reward token; a researcher buys a grant by paying
///         `pricePerDay * days` straight to the owner (after `approve`, or with an EIP-2612 permit in the
///         same call), and the market makes the grant in the DatasetRegistry as an operator the owner
///         approved there (`setOperator(market, true)`). Each paid purchase is reported to Rewards, which
///         turns a share of the fee into a citation voucher for the buyer; the market burns that share
///         out of the fee (the owner receives `fee - burned`), so every reward is paid for.
///
///         The buyer publishes its encryption public key with the purchase (bound to the buyer: the
///         key's address must be the sender), so the owner can deliver the data key (`deliverKey`)
///         without a separate `requestAccess`. The grant itself carries no key ref.
///
///         Stacked purchases never reach beyond `MAX_TERM` from now, the registry's own limit for one
///         grant.
///
///         Limits (by design, not enforced here): a purchase is a direct payment with no escrow, so the
///         owner (or its operator) may revoke a bought grant at once in the registry and keep the fee;
///         buyers trust sellers as with any prepayment. A listing belongs to (dataset, owner): it is void
///         while someone else owns the dataset and live again if the dataset returns to that owner;
///         owners delist (`setPrice(id, 0)`) before giving a dataset away.
interface IAccessMarket {
    /// @notice A price set by `owner`, valid while `owner` still owns the dataset.
    struct Listing {
        address owner;
        uint96 pricePerDay;
    }

    /// @notice `owner` priced access to `datasetId` at `pricePerDay` (0 = no longer for sale).
    event PriceSet(uint256 indexed datasetId, address indexed owner, uint256 pricePerDay);
    /// @notice `buyer` paid `fee` to `owner` for `days_` days of access to `datasetId`, until `expiresAt`.
    event AccessPurchased(
        uint256 indexed datasetId,
        address indexed buyer,
        address indexed owner,
        uint16 days_,
        uint256 fee,
        uint256 burned,
        uint64 expiresAt,
        bytes publicKey
    );

    /// @notice `caller` does not own dataset `datasetId`.
    error MarketNotDatasetOwner(uint256 datasetId, address caller);
    /// @notice Dataset `datasetId` has no price set by its current owner.
    error MarketNotListed(uint256 datasetId);
    /// @notice The fee `fee` is above the buyer's limit `maxFee` (the price moved).
    error MarketFeeAboveMax(uint256 fee, uint256 maxFee);
    /// @notice A purchase of zero days.
    error MarketZeroDays();
    /// @notice The owner of `datasetId` tried to buy access to it.
    error MarketOwnerCannotBuy(uint256 datasetId, address owner);
    /// @notice A price that does not fit in 96 bits.
    error MarketPriceTooHigh(uint256 pricePerDay);
    /// @notice A zero address where a contract is required.
    error MarketZeroAddress();
    /// @notice `publicKey` is not the 64-byte (x ‖ y) secp256k1 public key of `buyer`.
    error MarketPublicKeyInvalid(address buyer, bytes publicKey);
    /// @notice The purchase would extend the grant to `expiresAt`, beyond `limit` (now + MAX_TERM).
    error MarketTermTooLong(uint64 expiresAt, uint256 limit);

    /// @notice Price access to `datasetId` at `pricePerDay` token units per day; 0 delists. Owner only.
    function setPrice(uint256 datasetId, uint256 pricePerDay) external;

    /// @notice Longest a grant may reach from now through purchases (365 days).
    function MAX_TERM() external view returns (uint64);

    /// @notice Buy `days_` days of access to `datasetId`, paying from an existing allowance of at least
    ///         the fee (part is transferred to the owner, the reward share burned).
    /// @param publicKey The buyer's uncompressed secp256k1 public key without the 0x04 prefix (x ‖ y,
    ///        64 bytes), whose address must be the sender; published in `AccessPurchased` so the owner
    ///        can wrap the data key for it.
    /// @param maxFee Most the buyer agrees to pay; protects against a price raised before inclusion.
    /// @return expiresAt When the grant ends.
    /// @dev Reverts `MarketZeroDays`, `MarketPublicKeyInvalid`, `MarketNotListed`, `MarketOwnerCannotBuy`,
    ///      `MarketFeeAboveMax`, `MarketTermTooLong`, and the token's and registry's errors.
    function buyAccess(uint256 datasetId, uint16 days_, bytes calldata publicKey, uint256 maxFee)
        external
        returns (uint64 expiresAt);

    /// @notice As `buyAccess`, first spending an EIP-2612 permit of `maxFee` to this market that expires
    ///         at `deadline`. A permit already used (e.g. front-run) is ignored if the allowance suffices.
    function buyAccessWithPermit(
        uint256 datasetId,
        uint16 days_,
        bytes calldata publicKey,
        uint256 maxFee,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint64 expiresAt);

    /// @notice The current listing of `datasetId` (owner 0 or price 0 = not for sale).
    function listingOf(uint256 datasetId) external view returns (Listing memory);

    /// @notice What `days_` days of access to `datasetId` cost now; reverts `MarketNotListed` if not for sale.
    function quote(uint256 datasetId, uint16 days_) external view returns (uint256 fee);
}
