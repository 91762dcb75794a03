// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title aitrail reward token (TRAIL)
/// @notice ERC-20 with a hard cap and EIP-2612 permit. Supply grows only through `mint`, which only
///         holders of MINTER_ROLE may call: the Rewards contract, which mints exactly what a dataset
///         owner claims under the published reward formula. Anyone may burn their own tokens (or, with
///         an allowance, another's: the AccessMarket burns the reward share of each fee this way).
///         Minting emits the standard `Transfer(address(0), to, amount)`, burning
///         `Transfer(from, address(0), amount)`; role changes emit AccessControl's
///         `RoleGranted`/`RoleRevoked`.
interface IRewardToken is IERC20 {
    /// @notice Role allowed to mint.
    function MINTER_ROLE() external view returns (bytes32);

    /// @notice Maximum total supply, fixed at deployment.
    function cap() external view returns (uint256);

    /// @notice Mint `amount` new tokens to `to`.
    /// @dev Reverts `AccessControlUnauthorizedAccount(caller, MINTER_ROLE)` for a caller without the role
    ///      and `ERC20ExceededCap(newSupply, cap)` if the supply would pass the cap.
    function mint(address to, uint256 amount) external;

    /// @notice Destroy `amount` of the caller's tokens.
    function burn(uint256 amount) external;

    /// @notice Destroy `amount` of `account`'s tokens, spending the caller's allowance from `account`.
    /// @dev Reverts `ERC20InsufficientAllowance`, `ERC20InsufficientBalance`.
    function burnFrom(address account, uint256 amount) external;
}
