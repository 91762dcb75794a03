// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice Called by TestReentrantMintToken on a contract recipient, in the middle of a mint.
interface IMintReceiverForTest {
    function onMint(uint256 amount) external;
}

/// @title TEST ONLY: a hostile reward token that hands control to the recipient during `mint`
/// @notice Lets the reentrancy test reach back into Rewards.claim() between the claim's bookkeeping and
///         the end of the mint, which OpenZeppelin's ERC20 never does. Not deployed outside tests.
contract TestReentrantMintToken {
    mapping(address account => uint256) public balanceOf;
    uint256 public totalSupply;

    /// @notice No cap: Rewards.claim asks for one to mint only what fits.
    function cap() external pure returns (uint256) {
        return type(uint256).max;
    }

    /// @notice Credit `to`, then call its `onMint` hook if it is a contract. Anyone may call: test only.
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
        if (to.code.length != 0) IMintReceiverForTest(to).onMint(amount);
    }
}
