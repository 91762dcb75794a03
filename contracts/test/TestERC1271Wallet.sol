// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title TEST ONLY: a one-key smart account (the shape of a Safe with threshold 1)
/// @notice Owns datasets as a contract: it registers through `execute`, and answers ERC-1271 for
///         signatures its key made over a digest, so the registry's signed grants work for it.
contract TestERC1271Wallet is IERC1271 {
    error TestWalletNotKey(address caller);

    address public immutable key;

    constructor(address key_) {
        key = key_;
    }

    /// @notice Call `target` as this wallet; only the key may.
    function execute(address target, bytes calldata data) external returns (bytes memory) {
        if (msg.sender != key) revert TestWalletNotKey(msg.sender);
        // A smart account's job is to forward arbitrary calls for its key.
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory result) = target.call(data);
        if (!ok) {
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
        return result;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(hash, signature);
        return error == ECDSA.RecoverError.NoError && signer == key ? this.isValidSignature.selector : bytes4(0);
    }
}
