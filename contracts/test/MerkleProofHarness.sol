// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title MerkleProofHarness (test only)
/// @notice Exposes OpenZeppelin's MerkleProof so tests can check proofs built in Python against the
///         real on-chain library, independently of any registry. Not deployed by the product.
contract MerkleProofHarness {
    /// @notice OpenZeppelin MerkleProof.verifyCalldata, unchanged.
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice The standard leaf of a record, computed on-chain the way OpenZeppelin's docs prescribe,
    ///         so tests show the Python leaf is what Solidity would compute from the same values.
    function recordLeaf(bytes32 recordKey, bytes32 recordSha256, uint8 consent) external pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(recordKey, recordSha256, consent))));
    }

    /// @notice verify() from the record's values instead of its leaf.
    function verifyRecord(
        bytes32[] calldata proof,
        bytes32 root,
        bytes32 recordKey,
        bytes32 recordSha256,
        uint8 consent
    ) external
        pure
        returns (bool)
    {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(recordKey, recordSha256, consent))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
