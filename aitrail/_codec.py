"""The small binary codecs CIDs are built from: unsigned varints, base58btc and RFC 4648 base32.

Written here rather than pulled from py-multibase & co. because each is a dozen lines, has to be fast
on the hashing path (varints are written for every block), and must be exact: a CID string that
differs from Kubo's by one character is a different CID.
"""

from __future__ import annotations

from aitrail.errors import CidError

B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}
B32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_B32_INDEX = {c: i for i, c in enumerate(B32_ALPHABET)}


def varint_encode(value: int) -> bytes:
    """Unsigned LEB128, as multiformats and protobuf use it.

    >>> varint_encode(300).hex()
    'ac02'
    """
    if value < 0:
        raise ValueError("varint of a negative number")
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def varint_decode(buf: bytes | memoryview, offset: int = 0) -> tuple[int, int]:
    """Read one varint at `offset`; return (value, offset after it)."""
    value = 0
    shift = 0
    n = len(buf)
    while True:
        if offset >= n:
            raise CidError(f"truncated varint at byte {offset}")
        b = buf[offset]
        offset += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, offset
        shift += 7
        if shift > 63:
            raise CidError("varint longer than 9 bytes")


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    chars = []
    while num:
        num, rem = divmod(num, 58)
        chars.append(B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(chars))


def b58decode(text: str) -> bytes:
    num = 0
    for c in text:
        try:
            num = num * 58 + _B58_INDEX[c]
        except KeyError:
            raise CidError(f"invalid base58 character {c!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def b32encode(data: bytes) -> str:
    """Lower-case RFC 4648 base32 without padding (multibase `b`)."""
    bits = len(data) * 8
    num = int.from_bytes(data, "big") << ((-bits) % 5)
    n = (bits + 4) // 5
    return "".join(B32_ALPHABET[(num >> (5 * (n - 1 - i))) & 31] for i in range(n))


def b32decode(text: str) -> bytes:
    num = 0
    for c in text:
        try:
            num = (num << 5) | _B32_INDEX[c]
        except KeyError:
            raise CidError(f"invalid base32 character {c!r}") from None
    bits = len(text) * 5
    nbytes = bits // 8
    pad = bits - nbytes * 8
    if num & ((1 << pad) - 1):
        raise CidError("base32 text has non-zero padding bits")
    return (num >> pad).to_bytes(nbytes, "big")
