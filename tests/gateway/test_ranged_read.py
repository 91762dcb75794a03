"""What the gateway's Range support rests on: reading a UnixFS file from any offset fetches only the
blocks from there on and gives exactly the bytes from there on, and any one ciphertext segment opens
alone (with the final flag right) while a modified or misplaced one fails authentication."""

import io
import os

import pytest

from aitrail import crypto
from aitrail.errors import DecryptionError
from aitrail.storage.local import LocalStore
from aitrail.unixfs import read_file_from

SEG = 1 << 16


@pytest.mark.parametrize("cid_version", [0, 1])
def test_read_file_from_any_offset(tmp_path, cid_version):
    store = LocalStore(tmp_path / "store")
    data = os.urandom(3 * 262_144 + 12_345)
    root = store.add_bytes(data, cid_version=cid_version)
    fetched = []

    def counting(cid):
        fetched.append(cid)
        return store.get_block(cid)

    for offset in (0, 1, 262_143, 262_144, 600_000, len(data) - 1, len(data)):
        fetched.clear()
        assert b"".join(read_file_from(counting, root, offset)) == data[offset:]
        if offset >= 2 * 262_144:  # the leaves before the offset are never read
            assert len(fetched) <= 1 + 2


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 3 * SEG, 3 * SEG + 77])
def test_every_segment_opens_alone(size):
    key = crypto.generate_data_key()
    plain = os.urandom(size)
    out = io.BytesIO()
    crypto.encrypt_stream(key, io.BytesIO(plain), out, segment_size=SEG)
    cipher = out.getvalue()
    opener = crypto.SegmentOpener(key, cipher[: crypto.HEADER_SIZE], len(cipher))
    assert opener.plain_size == size
    pieces = []
    for index in range(opener.segments):
        at = crypto.HEADER_SIZE + index * opener.sealed_size
        pieces.append(opener.open(index, cipher[at : at + opener.sealed_length(index)]))
    assert b"".join(pieces) == plain
    for offset in {0, size // 2, max(0, size - 1)}:
        index, at, skip = opener.locate(offset)
        got = opener.open(index, cipher[at : at + opener.sealed_length(index)])[skip:]
        assert plain[offset:].startswith(got)


def test_a_modified_or_misplaced_segment_fails():
    key = crypto.generate_data_key()
    out = io.BytesIO()
    crypto.encrypt_stream(key, io.BytesIO(os.urandom(3 * SEG)), out, segment_size=SEG)
    cipher = bytearray(out.getvalue())
    opener = crypto.SegmentOpener(key, bytes(cipher[: crypto.HEADER_SIZE]), len(cipher))
    first = bytes(cipher[crypto.HEADER_SIZE : crypto.HEADER_SIZE + opener.sealed_size])
    with pytest.raises(DecryptionError, match="segment 1 fails authentication"):
        opener.open(1, first)  # segment 0's bytes at position 1
    flipped = bytearray(first)
    flipped[5] ^= 1
    with pytest.raises(DecryptionError, match="segment 0 fails authentication"):
        opener.open(0, bytes(flipped))
    # A ciphertext cut at a segment boundary: the new last segment is not sealed as final.
    cut = crypto.HEADER_SIZE + 2 * opener.sealed_size
    short = crypto.SegmentOpener(key, bytes(cipher[: crypto.HEADER_SIZE]), cut)
    with pytest.raises(DecryptionError, match="segment 1 fails authentication"):
        short.open(1, bytes(cipher[crypto.HEADER_SIZE + opener.sealed_size : cut]))
    with pytest.raises(DecryptionError, match="cannot hold whole segments"):
        crypto.SegmentOpener(key, bytes(cipher[: crypto.HEADER_SIZE]), cut + 5)
