// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IAccessMarket} from "../interfaces/IAccessMarket.sol";
import {IDatasetRegistryView} from "../interfaces/IDatasetRegistryView.sol";
import {IRewardToken} from "../interfaces/IRewardToken.sol";
import {IRewards} from "../interfaces/IRewards.sol";

/// @title aitrail access market
/// @notice See IAccessMarket. The market never holds tokens: fees go from buyer to owner directly.
contract AccessMarket is IAccessMarket {
    using SafeERC20 for IERC20;

    /// @inheritdoc IAccessMarket
    uint64 public constant MAX_TERM = 365 days;
    uint256 private constant _PUBLIC_KEY_LENGTH = 64;

    IERC20 private immutable _token;
    IDatasetRegistryView private immutable _datasets;
    IRewards private immutable _rewards;

    mapping(uint256 datasetId => Listing) private _listings;

    /// @param token The reward token fees are paid in (burnable, see IRewardToken, when `rewards` is set).
    /// @param datasets The dataset registry; owners approve this market as their operator there.
    /// @param rewards Rewards contract told of each purchase (needs its MARKET_ROLE granted to this
    ///        contract), or address(0) for a market without rewards.
    constructor(IERC20 token, IDatasetRegistryView datasets, IRewards rewards) {
        if (address(token) == address(0) || address(datasets) == address(0)) revert MarketZeroAddress();
        _token = token;
        _datasets = datasets;
        _rewards = rewards;
    }

    /// @inheritdoc IAccessMarket
    function setPrice(uint256 datasetId, uint256 pricePerDay) external {
        address owner = _datasets.datasetOwner(datasetId);
        if (owner != msg.sender) revert MarketNotDatasetOwner(datasetId, msg.sender);
        if (pricePerDay > type(uint96).max) revert MarketPriceTooHigh(pricePerDay);
        _listings[datasetId] = Listing({owner: owner, pricePerDay: uint96(pricePerDay)});
        emit PriceSet(datasetId, owner, pricePerDay);
    }

    /// @inheritdoc IAccessMarket
    function buyAccess(uint256 datasetId, uint16 days_, bytes calldata publicKey, uint256 maxFee)
        external
        returns (uint64 expiresAt)
    {
        return _buy(datasetId, days_, publicKey, maxFee);
    }

    // The purchase event follows the registry's grantAccess because it carries the expiry the registry
    // computed; the registry and token are immutable, trusted contracts and no state is read after.
    // slither-disable-start reentrancy-events
    /// @inheritdoc IAccessMarket
    function buyAccessWithPermit(
        uint256 datasetId,
        uint16 days_,
        bytes calldata publicKey,
        uint256 maxFee,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint64 expiresAt) {
        // A permit can be front-run (submitted by someone else first); then the allowance is already
        // there and the purchase should still go through, so a failed permit is not fatal here.
        // solhint-disable-next-line no-empty-blocks
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), maxFee, deadline, v, r, s) {} catch {}
        return _buy(datasetId, days_, publicKey, maxFee);
    }

    /// @inheritdoc IAccessMarket
    function listingOf(uint256 datasetId) external view returns (Listing memory) {
        return _listings[datasetId];
    }

    /// @inheritdoc IAccessMarket
    function quote(uint256 datasetId, uint16 days_) external view returns (uint256 fee) {
        (, fee) = _priced(datasetId, days_);
    }

    function _buy(uint256 datasetId, uint16 days_, bytes calldata publicKey, uint256 maxFee)
        private
        returns (uint64 expiresAt)
    {
        if (days_ == 0) revert MarketZeroDays();
        // The key must be the buyer's own, so a data key is only ever wrapped for the account on the trail.
        if (
            publicKey.length != _PUBLIC_KEY_LENGTH
                || address(uint160(uint256(keccak256(publicKey)))) != msg.sender
        ) revert MarketPublicKeyInvalid(msg.sender, publicKey);
        (address owner, uint256 fee) = _priced(datasetId, days_);
        if (owner == msg.sender) revert MarketOwnerCannotBuy(datasetId, owner);
        if (fee > maxFee) revert MarketFeeAboveMax(fee, maxFee);
        // The voucher's value is burned from the fee, so a reward is never minted for free (IRewards).
        uint256 burned = address(_rewards) == address(0) ? 0 : _rewards.recordPurchase(datasetId, msg.sender, fee);
        if (burned != 0) IRewardToken(address(_token)).burnFrom(msg.sender, burned);
        _token.safeTransferFrom(msg.sender, owner, fee - burned);
        // Without a key ref: the owner delivers the data key for `publicKey` with deliverKey.
        expiresAt = _datasets.grantAccess(datasetId, msg.sender, uint64(days_) * 1 days, bytes32(0));
        uint256 limit = block.timestamp + MAX_TERM;
        if (expiresAt > limit) revert MarketTermTooLong(expiresAt, limit);
        emit AccessPurchased(datasetId, msg.sender, owner, days_, fee, burned, expiresAt, publicKey);
    }
    // slither-disable-end reentrancy-events

    // A listing counts only while the account that set it still owns the dataset, so a price never
    // sends a fee to a former owner.
    function _priced(uint256 datasetId, uint16 days_) private view returns (address owner, uint256 fee) {
        Listing memory listing = _listings[datasetId];
        owner = _datasets.datasetOwner(datasetId);
        if (listing.pricePerDay == 0 || listing.owner != owner) revert MarketNotListed(datasetId);
        fee = uint256(listing.pricePerDay) * days_;
    }
}
