"""OpenZeppelin-compatible standard Merkle trees, byte-identical to npm `@openzeppelin/merkle-tree` 1.0.8.

The format (what `StandardMerkleTree.of(values, leafEncoding)` builds there):

- leaf hash = keccak256(keccak256(abi.encode(values))): hashing twice keeps a leaf from ever being
  mistaken for an inner node (second-preimage safety), and it is what OpenZeppelin's docs tell
  Solidity code to recompute;
- leaves are sorted by hash (the npm default `sortLeaves: true`; ties keep input order, like the
  stable JavaScript sort);
- the tree is a complete binary tree laid out in one array: node `i` has children `2i+1` and `2i+2`,
  the root is `tree[0]`, and sorted leaf `j` sits at `tree[len(tree) - 1 - j]`;
- an inner node is keccak256 of its two children concatenated smaller-first, so a proof is just the
  list of siblings from the leaf up and OpenZeppelin's `MerkleProof.verify` checks it on-chain;
- `dump()` gives the npm library's "standard-v1" JSON object and `load()` reads one back.

Example, a tree of two `(bytes32, uint8)` values::

    >>> t = StandardMerkleTree.of([(b"\\x01" * 32, 1), (b"\\x02" * 32, 0)], ["bytes32", "uint8"])
    >>> len(t), len(t.tree)
    (2, 3)
    >>> t.verify((b"\\x01" * 32, 1), t.get_proof(0))
    True

For large trees `all_proofs()` yields every proof in numpy blocks, the fast path the benchmark uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import sha3
from eth_abi.abi import encode as abi_encode

from aitrail.errors import MerkleError, MerkleProofError

__all__ = [
    "FORMAT",
    "ProofBlock",
    "StandardMerkleTree",
    "encode_values",
    "keccak256",
    "leaf_hash",
    "node_hash",
    "process_proof",
]

FORMAT = "standard-v1"

_keccak = sha3.keccak_256
_UINT = re.compile(r"^uint(\d*)$")
_INT = re.compile(r"^int(\d*)$")
_BYTES_N = re.compile(r"^bytes(\d+)$")
_ZERO32 = bytes(32)


def keccak256(data: bytes) -> bytes:
    """keccak-256 (Ethereum's hash, not FIPS SHA3-256)."""
    digest: bytes = _keccak(data).digest()
    return digest


def node_hash(a: bytes, b: bytes) -> bytes:
    """Inner node: the two children concatenated smaller-first (what MerkleProof._hashPair does)."""
    digest: bytes = _keccak(a + b if a < b else b + a).digest()
    return digest


def _encode_static(abi_type: str, value: Any) -> bytes | None:
    """One 32-byte ABI head word for a static elementary type, or None to fall back to eth_abi.

    eth_abi validates and dispatches through several layers per call (tens of microseconds); a
    million leaves of a fixed schema need the plain word layout instead.
    """
    m = _BYTES_N.match(abi_type)
    if m:
        size = int(m.group(1))
        if not isinstance(value, bytes | bytearray) or len(value) != size or not 1 <= size <= 32:
            raise MerkleError(f"{abi_type} value must be {size} bytes, got {value!r}")
        return bytes(value) + _ZERO32[size:]
    m = _UINT.match(abi_type)
    if m:
        bits = int(m.group(1) or 256)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < (1 << bits):
            raise MerkleError(f"{abi_type} value out of range: {value!r}")
        return value.to_bytes(32, "big")
    m = _INT.match(abi_type)
    if m:
        bits = int(m.group(1) or 256)
        lim = 1 << (bits - 1)
        if isinstance(value, bool) or not isinstance(value, int) or not -lim <= value < lim:
            raise MerkleError(f"{abi_type} value out of range: {value!r}")
        return value.to_bytes(32, "big", signed=True)
    if abi_type == "bool":
        if not isinstance(value, bool):
            raise MerkleError(f"bool value expected, got {value!r}")
        return int(value).to_bytes(32, "big")
    return None


def encode_values(leaf_encoding: Sequence[str], values: Sequence[Any]) -> bytes:
    """abi.encode(values...) for the given types (fast for static elementary types, eth_abi otherwise)."""
    if len(values) != len(leaf_encoding):
        raise MerkleError(f"value has {len(values)} fields, leaf encoding has {len(leaf_encoding)}")
    words: list[bytes] = []
    for abi_type, value in zip(leaf_encoding, values, strict=True):
        word = _encode_static(abi_type, value)
        if word is None:
            try:
                return abi_encode(list(leaf_encoding), list(values))
            except Exception as exc:  # eth_abi raises several unrelated classes for bad values
                raise MerkleError(f"cannot ABI-encode {values!r} as {list(leaf_encoding)}: {exc}") from exc
        words.append(word)
    return b"".join(words)


def leaf_hash(leaf_encoding: Sequence[str], values: Sequence[Any]) -> bytes:
    """keccak256(bytes.concat(keccak256(abi.encode(values))))."""
    digest: bytes = _keccak(_keccak(encode_values(leaf_encoding, values)).digest()).digest()
    return digest


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a proof leads to from a leaf hash (MerkleProof.processProof)."""
    node = leaf
    for sibling in proof:
        if len(sibling) != 32:
            raise MerkleProofError(f"proof element is {len(sibling)} bytes, not 32")
        node = node_hash(node, sibling)
    return node


@dataclass(frozen=True)
class ProofBlock:
    """Proofs of a block of values: `siblings[k]` is the proof of value `value_indices[k]`.

    `siblings[k, j]` is the j-th sibling (32 bytes) from the leaf up; only the first `lengths[k]`
    belong to the proof (in a tree whose size is not a power of two, leaves sit at two depths).
    """

    value_indices: npt.NDArray[np.int64]
    siblings: npt.NDArray[np.uint8]
    lengths: npt.NDArray[np.int64]

    def proof(self, k: int) -> list[bytes]:
        return [bytes(row) for row in self.siblings[k, : int(self.lengths[k])]]

    def packed(self) -> bytes:
        """All proofs of the block concatenated in block order (each sibling 32 bytes)."""
        k, width = self.siblings.shape[:2]
        shortest, longest = int(self.lengths.min()), int(self.lengths.max())
        if shortest == longest:  # the usual case: the block lies within one depth
            return self.siblings[:, :longest].tobytes()
        rows = self.siblings.view(_NODE).reshape(k, width)
        return rows[np.arange(width)[None, :] < self.lengths[:, None]].tobytes()


_NODE = np.dtype((np.void, 32))  # one node as a single element: gathers move 32 bytes at a time


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _from_hex(s: str, what: str) -> bytes:
    try:
        if not s.startswith("0x"):
            raise ValueError("no 0x prefix")
        return bytes.fromhex(s[2:])
    except (ValueError, AttributeError) as exc:
        raise MerkleError(f"{what} is not 0x-hex: {s!r}") from exc


def _json_value(abi_type: str, value: Any) -> Any:
    """A value as the npm library's JSON holds it: hex strings for bytes, decimal strings for integers."""
    if abi_type.startswith("("):
        raise MerkleError(f"tuple type {abi_type} is not supported in dumps")
    if abi_type.endswith("]"):
        return [_json_value(_inner(abi_type), v) for v in value]
    if isinstance(value, bytes | bytearray):
        return _hex(bytes(value))
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return str(value)
    raise MerkleError(f"cannot represent {value!r} ({abi_type}) in JSON")


def _inner(abi_type: str) -> str:
    return abi_type[: abi_type.rindex("[")] if abi_type.endswith("]") else abi_type


def _py_value(abi_type: str, value: Any) -> Any:
    """The inverse of _json_value; also accepts JSON numbers, as a JavaScript caller may have stored them."""
    if abi_type.endswith("]"):
        return [_py_value(_inner(abi_type), v) for v in value]
    if abi_type.startswith("bytes"):
        return _from_hex(value, abi_type)
    if _UINT.match(abi_type) or _INT.match(abi_type):
        if isinstance(value, bool):
            raise MerkleError(f"{abi_type} value is a boolean: {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value, 0)
            except ValueError as exc:
                raise MerkleError(f"{abi_type} value is not an integer: {value!r}") from exc
        raise MerkleError(f"{abi_type} value is not an integer: {value!r}")
    return value


def _fill_inner_nodes(nodes: npt.NDArray[np.uint8], n: int) -> None:
    """Hash the inner nodes 0 .. n-2 of an array tree whose leaves are in place, one depth at a time.

    The inner nodes at one depth are contiguous and their children are contiguous too, so the
    smaller-first ordering and the concatenation are done by numpy for the whole depth; only the
    keccak calls remain per node.
    """
    k = _keccak
    last_inner = n - 2
    depth = (last_inner + 1).bit_length() - 1 if last_inner >= 0 else -1
    while depth >= 0:
        lo = (1 << depth) - 1
        hi = min((1 << (depth + 1)) - 2, last_inner)
        left = nodes[2 * lo + 1 : 2 * hi + 2 : 2]
        right = nodes[2 * lo + 2 : 2 * hi + 3 : 2]
        a = left.view(">u8")
        b = right.view(">u8")
        differ = a != b
        first = differ.argmax(axis=1)  # first differing 64-bit word (0 when equal: order is moot)
        rows = np.arange(len(a))
        left_first = a[rows, first] < b[rows, first]
        pairs = np.empty((len(a), 64), dtype=np.uint8)
        pairs[:, :32] = np.where(left_first[:, None], left, right)
        pairs[:, 32:] = np.where(left_first[:, None], right, left)
        buf = memoryview(pairs.tobytes())
        out = b"".join([k(buf[o : o + 64]).digest() for o in range(0, len(buf), 64)])
        nodes[lo : hi + 1] = np.frombuffer(out, dtype=np.uint8).reshape(-1, 32)
        depth -= 1


class StandardMerkleTree:
    """A standard Merkle tree over ABI-encoded values (see the module docstring for the format)."""

    def __init__(
        self,
        tree: Sequence[bytes] | npt.NDArray[np.uint8],
        values: Sequence[Sequence[Any]],
        tree_indices: Sequence[int],
        leaf_encoding: Sequence[str],
    ) -> None:
        """Wrap an already built tree; use `of`, `from_leaf_hashes` or `load` to build one.

        `tree` is the node array, as 32-byte strings or an (nodes, 32) uint8 array.
        """
        if isinstance(tree, np.ndarray):
            nodes = tree
        else:
            if any(len(node) != 32 for node in tree):
                raise MerkleError("Merkle tree nodes must be 32 bytes")
            nodes = np.frombuffer(b"".join(tree), dtype=np.uint8).reshape(-1, 32)
        if len(values) != len(tree_indices):
            raise MerkleError(f"{len(values)} values but {len(tree_indices)} tree indices")
        if not values or nodes.shape != (2 * len(values) - 1, 32):
            raise MerkleError(f"a tree of {len(values)} values must have {2 * len(values) - 1} nodes")
        self.nodes = nodes
        self.values = values
        self.tree_indices = tree_indices
        self.leaf_encoding = tuple(leaf_encoding)
        self._lookup: dict[bytes, int] | None = None

    # building

    @classmethod
    def of(
        cls, values: Sequence[Sequence[Any]], leaf_encoding: Sequence[str], *, sort_leaves: bool = True
    ) -> StandardMerkleTree:
        """Build from values, as `StandardMerkleTree.of(values, leafEncoding)` does in npm."""
        hashes = [leaf_hash(leaf_encoding, v) for v in values]
        return cls.from_leaf_hashes(hashes, values, leaf_encoding, sort_leaves=sort_leaves)

    @classmethod
    def from_leaf_hashes(
        cls,
        hashes: Sequence[bytes],
        values: Sequence[Sequence[Any]],
        leaf_encoding: Sequence[str],
        *,
        sort_leaves: bool = True,
    ) -> StandardMerkleTree:
        """Build from precomputed leaf hashes (`hashes[i]` must be the leaf hash of `values[i]`).

        The fast path for fixed schemas: the caller hashes its packed encoding directly.
        """
        n = len(hashes)
        if n == 0:
            raise MerkleError("a Merkle tree needs at least one leaf")
        leaves = np.frombuffer(b"".join(hashes), dtype=np.uint8)
        if leaves.size != 32 * n:
            raise MerkleError("leaf hashes must be 32 bytes each")
        leaves = leaves.reshape(n, 32)
        if sort_leaves:
            # big-endian 64-bit words order like the bytes; lexsort is stable like Array.prototype.sort,
            # so equal leaves keep input order as in npm (its last key is the primary one)
            words = leaves.view(">u8")
            order = np.lexsort((words[:, 3], words[:, 2], words[:, 1], words[:, 0]))
        else:
            order = np.arange(n)
        size = 2 * n - 1
        nodes = np.empty((size, 32), dtype=np.uint8)
        nodes[n - 1 :] = leaves[order[::-1]]  # sorted leaf j sits at size - 1 - j
        _fill_inner_nodes(nodes, n)
        tree_indices = np.empty(n, dtype=np.int64)
        tree_indices[order] = size - 1 - np.arange(n, dtype=np.int64)
        return cls(nodes, values, tree_indices.tolist(), leaf_encoding)

    # reading

    @property
    def root(self) -> bytes:
        return bytes(self.nodes[0])

    @property
    def tree(self) -> list[bytes]:
        """The node array as 32-byte strings (the npm library's `tree`, unhexed)."""
        buf = self.nodes.tobytes()
        return [buf[o : o + 32] for o in range(0, len(buf), 32)]

    def node(self, i: int) -> bytes:
        return bytes(self.nodes[i])

    def __len__(self) -> int:
        return len(self.values)

    def leaf_hash(self, values: Sequence[Any]) -> bytes:
        return leaf_hash(self.leaf_encoding, values)

    def leaf_at(self, index: int) -> bytes:
        """The leaf hash of the value at input position `index`."""
        self._check_index(index)
        return self.node(self.tree_indices[index])

    def index_of(self, values: Sequence[Any]) -> int:
        """Input position of a value (MerkleTree.leafLookup); raises MerkleError if absent."""
        if self._lookup is None:
            buf = self.nodes.tobytes()
            self._lookup = {buf[32 * t : 32 * t + 32]: i for i, t in enumerate(self.tree_indices)}
        found = self._lookup.get(self.leaf_hash(values))
        if found is None:
            raise MerkleError(f"value is not in the tree: {list(values)!r}")
        return found

    def get_proof(self, leaf: int | Sequence[Any]) -> list[bytes]:
        """Sibling hashes from the leaf up to the root, for an input position or a value."""
        index = leaf if isinstance(leaf, int) else self.index_of(leaf)
        self._check_index(index)
        i = self.tree_indices[index]
        proof: list[bytes] = []
        while i > 0:
            proof.append(self.node(i + 1 if i % 2 else i - 1))
            i = (i - 1) // 2
        return proof

    def verify(self, values: Sequence[Any], proof: Sequence[bytes]) -> bool:
        return process_proof(self.leaf_hash(values), proof) == self.root

    @staticmethod
    def verify_against(
        root: bytes, leaf_encoding: Sequence[str], values: Sequence[Any], proof: Sequence[bytes]
    ) -> bool:
        """Check a proof without the tree (npm StandardMerkleTree.verify)."""
        return process_proof(leaf_hash(leaf_encoding, values), proof) == root

    def all_proofs(self, block_size: int = 1 << 16) -> Iterator[ProofBlock]:
        """Every proof, in blocks of `block_size` values, in leaf order (each block names its values).

        A proof is the sibling of the path node at every depth, so numpy gathers a whole block's
        siblings level by level: ~20 array operations per block instead of twenty million Python
        steps for a million proofs. Leaf order (not input order) keeps each block's leaves, and so
        their siblings, adjacent in the node array, which makes the gathers sequential reads.
        """
        n = len(self)
        size = len(self.nodes)
        flat = self.nodes.view(_NODE).reshape(-1)
        # value index of the leaf at each leaf position j (tree index size - 1 - j)
        by_leaf = np.empty(n, dtype=np.int64)
        by_leaf[size - 1 - np.asarray(self.tree_indices, dtype=np.int64)] = np.arange(n, dtype=np.int64)
        # leaves of a complete tree sit at depth floor(log2(size)) or one less
        width = size.bit_length() - 1
        for start in range(0, n, block_size):
            idx = size - 1 - np.arange(start, min(start + block_size, n), dtype=np.int64)
            sib_idx = np.zeros((len(idx), width), dtype=np.int64)
            lengths = np.zeros(len(idx), dtype=np.int64)
            for level in range(width):
                live = idx > 0
                sib_idx[:, level] = np.where(live, np.where(idx % 2 == 1, idx + 1, idx - 1), 0)
                lengths += live
                idx = np.where(live, (idx - 1) // 2, 0)
            siblings = flat[sib_idx].view(np.uint8).reshape(len(idx), width, 32)
            yield ProofBlock(by_leaf[start : start + block_size], siblings, lengths)

    # dump / load

    def dump(self) -> dict[str, Any]:
        """The npm library's `tree.dump()` object ("standard-v1")."""
        return {
            "format": FORMAT,
            "leafEncoding": list(self.leaf_encoding),
            "tree": [_hex(node) for node in self.tree],
            "values": [
                {
                    "value": [_json_value(t, v) for t, v in zip(self.leaf_encoding, value, strict=True)],
                    "treeIndex": t_index,
                }
                for value, t_index in zip(self.values, self.tree_indices, strict=True)
            ],
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> StandardMerkleTree:
        """Read a "standard-v1" dump (from this module or from npm) and check every node and leaf."""
        loaded = cls.load_unchecked(data)
        loaded.validate()
        return loaded

    @classmethod
    def load_unchecked(cls, data: Any) -> StandardMerkleTree:
        """Parse a "standard-v1" dump without recomputing hashes (the caller must check it)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            fmt = data.get("format") if isinstance(data, dict) else None
            raise MerkleError(f"unknown Merkle tree format {fmt!r}, expected {FORMAT!r}")
        encoding = data.get("leafEncoding")
        if not isinstance(encoding, list) or not all(isinstance(t, str) for t in encoding):
            raise MerkleError("Merkle tree dump has no leafEncoding list")
        try:
            tree = [_from_hex(h, "tree node") for h in data["tree"]]
            values = [
                [_py_value(t, v) for t, v in zip(encoding, e["value"], strict=True)] for e in data["values"]
            ]
            indices = [int(e["treeIndex"]) for e in data["values"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise MerkleError(f"malformed Merkle tree dump: {exc}") from exc
        return cls(tree, values, indices, encoding)

    def validate(self) -> None:
        """Recompute every inner node and every value's leaf (what npm `validate()` does)."""
        tree = self.tree
        size = len(tree)
        for i, node in enumerate(tree):
            if len(node) != 32:
                raise MerkleError(f"tree node {i} is {len(node)} bytes, not 32")
            if 2 * i + 2 < size and node != node_hash(tree[2 * i + 1], tree[2 * i + 2]):
                raise MerkleError(f"tree node {i} is not the hash of its children")
        leaf_start = size - len(self.values)
        for k, (value, t_index) in enumerate(zip(self.values, self.tree_indices, strict=True)):
            if not leaf_start <= t_index < size:
                raise MerkleError(f"value {k} points at tree node {t_index}, which is not a leaf")
            if tree[t_index] != self.leaf_hash(value):
                raise MerkleError(f"value {k} does not hash to its leaf {t_index}")

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.values):
            raise MerkleError(f"value index {index} out of range 0..{len(self.values) - 1}")
