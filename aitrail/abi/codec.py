"""aitrail's own small ABI codec: keccak, checksummed addresses, selectors and the value kinds the suite's
events and read calls carry (static words, `bytes`, `string`, arrays of static values).

Why not eth_abi/eth_utils: importing them costs most of a second here, and an audit that reads 100,000 rows
from the index must start and finish in less (the audit path imports no web3, see tests/index). Anything
else (tuples, nested dynamic arrays) goes to eth_abi, imported only when such a value is met.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import sha3

WordDecoder = Callable[[bytes], Any]


def keccak(data: bytes) -> bytes:
    """keccak-256 (Ethereum's, not NIST SHA3-256).

    >>> keccak(b"").hex()[:16]
    'c5d2460186f7233c'
    """
    return bytes(sha3.keccak_256(data).digest())


def selector(signature: str) -> bytes:
    """The 4-byte function selector of `name(type,...)`.

    >>> selector("transfer(address,uint256)").hex()
    'a9059cbb'
    """
    return keccak(signature.encode())[:4]


# EIP-55 upper-cases the letters of the address's hex whose nibble in keccak(hex) is 8 or more. Done with
# whole-string operations, no loop per digit: hash nibbles -> 0x20 where >= 8 (translate of the hash's hex),
# kept only where the address's hex has a letter (bit 6 set in a-f, not in 0-9), XORed in (a -> A).
_CASE = bytes.maketrans(b"0123456789abcdef", b"\0" * 8 + b"\x20" * 8)
_BIT6 = int.from_bytes(b"\x40" * 40, "big")


@lru_cache(maxsize=65_536)
def checksum_address(raw: bytes) -> str:
    """EIP-55 text of a 20-byte address.

    >>> checksum_address(bytes.fromhex("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"))
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed'
    """
    text = raw.hex().encode()
    case = int.from_bytes(bytes(sha3.keccak_256(text).digest()[:20]).hex().encode().translate(_CASE), "big")
    value = int.from_bytes(text, "big")
    return "0x" + (value ^ (case & ((value & _BIT6) >> 1))).to_bytes(40, "big").decode()


def is_static(kind: str) -> bool:
    if "[" in kind or kind.startswith("("):
        return False
    if kind in ("address", "bool"):
        return True
    if kind.startswith(("uint", "int")):
        return True
    return kind.startswith("bytes") and kind != "bytes"


def word_decoder(kind: str) -> WordDecoder:
    """How to read one 32-byte word of a static ABI type, chosen once per argument."""
    if kind == "address":
        return lambda word: checksum_address(word[12:])
    if kind == "bool":
        return lambda word: word[-1] != 0
    if kind.startswith("uint"):
        return lambda word: int.from_bytes(word, "big")
    if kind.startswith("int"):
        return lambda word: int.from_bytes(word, "big", signed=True)
    if kind.startswith("bytes") and kind != "bytes":
        size = int(kind[5:])
        return lambda word: word[:size]
    raise TypeError(kind)


def encode_word(kind: str, value: Any) -> bytes:
    """One static value as its 32-byte word (a call argument, or the topic of an indexed argument)."""
    if kind == "address":
        return bytes(12) + bytes.fromhex(str(value)[2:].lower().rjust(40, "0"))
    if kind == "bool":
        return int(bool(value)).to_bytes(32, "big")
    if kind.startswith("uint"):
        return int(value).to_bytes(32, "big")
    if kind.startswith("int"):
        return int(value).to_bytes(32, "big", signed=True)
    if kind.startswith("bytes") and kind != "bytes":
        return bytes(value).ljust(32, b"\0")
    raise TypeError(f"cannot encode a {kind} value as one word")


def _simple(kind: str) -> bool:
    """Kinds decode() reads itself: static words, bytes, string, and one-dimensional arrays of static."""
    if kind in ("bytes", "string") or is_static(kind):
        return True
    return kind.endswith("[]") and kind.count("[") == 1 and is_static(kind[:-2])


def decode(kinds: list[str], data: bytes) -> list[Any]:
    """ABI-decode a head/tail encoded list of values (event data, call results): bytes as bytes, strings
    as str, arrays as lists."""
    if not all(_simple(k) for k in kinds):
        from eth_abi.abi import decode as abi_decode  # only for kinds the suite's audits do not carry

        return [list(v) if isinstance(v, tuple) else v for v in abi_decode(kinds, data)]
    out: list[Any] = []
    for i, kind in enumerate(kinds):
        word = data[32 * i : 32 * i + 32]
        if is_static(kind):
            out.append(word_decoder(kind)(word))
            continue
        start = int.from_bytes(word, "big")
        length = int.from_bytes(data[start : start + 32], "big")
        body = start + 32
        if kind in ("bytes", "string"):
            raw = data[body : body + length]
            if len(raw) != length:
                raise ValueError(f"ABI data too short for a {kind} of {length} bytes")
            out.append(raw.decode() if kind == "string" else raw)
        else:
            read = word_decoder(kind[:-2])
            words = [data[body + 32 * j : body + 32 * j + 32] for j in range(length)]
            if words and len(words[-1]) != 32:
                raise ValueError(f"ABI data too short for a {kind} of {length} values")
            out.append([read(w) for w in words])
    return out
