"""Streaming AEAD, ECIES key wrapping for Ethereum keys, the owner's password-sealed key."""

import io
import os

import pytest
from eth_account import Account

from aitrail import crypto
from aitrail.crypto import (
    EncryptingReader,
    Encryptor,
    decrypt_chunks,
    encrypt_stream,
    encrypted_size,
    generate_data_key,
    open_with_password,
    seal_with_password,
    unwrap_key,
    wrap_key,
)
from aitrail.errors import DecryptionError, KeyUnwrapError

SEG = 4096  # small segments so tests cross many boundaries quickly

# Anvil's well-known test accounts 1 and 2 (public test keys, never used for anything real).
ANVIL_KEY_1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
ANVIL_KEY_2 = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"


def _encrypt(key, data, seg=SEG):
    out = io.BytesIO()
    encrypt_stream(key, io.BytesIO(data), out, seg)
    return out.getvalue()


def _decrypt(key, blob, piece=1000):
    return b"".join(decrypt_chunks(key, (blob[i:i + piece] for i in range(0, len(blob), piece))))


@pytest.mark.parametrize("size", [0, 1, SEG - 1, SEG, SEG + 1, 5 * SEG])
def test_round_trip_across_segment_boundaries(size):
    key = generate_data_key()
    data = os.urandom(size)
    blob = _encrypt(key, data)
    assert len(blob) == encrypted_size(size, SEG)
    assert _decrypt(key, blob) == data


def test_each_encryption_is_fresh():
    key = generate_data_key()
    assert _encrypt(key, b"same") != _encrypt(key, b"same")
    assert generate_data_key() != generate_data_key()


def test_encrypting_reader_equals_stream_format():
    key = generate_data_key()
    data = os.urandom(3 * crypto.DEFAULT_SEGMENT_SIZE + 5)
    reader = EncryptingReader(key, io.BytesIO(data))
    blob = b"".join(iter(lambda: reader.read(100_000), b""))
    assert len(blob) == encrypted_size(len(data))
    assert _decrypt(key, blob, 300_000) == data


def test_wrong_key_is_one_clear_error():
    blob = _encrypt(generate_data_key(), b"secret" * 1000)
    with pytest.raises(DecryptionError, match="wrong key, or the ciphertext was modified"):
        _decrypt(generate_data_key(), blob)


@pytest.mark.parametrize("where", [0, 5, 30, 4000, 4200, -1])
def test_any_flipped_bit_is_detected(where):
    key = generate_data_key()
    blob = bytearray(_encrypt(key, os.urandom(3 * SEG)))
    blob[where] ^= 0x04
    with pytest.raises(DecryptionError):
        _decrypt(key, bytes(blob))


@pytest.mark.parametrize("cut", [1, 16, SEG + 16, 100])
def test_truncation_is_detected_even_on_a_segment_boundary(cut):
    key = generate_data_key()
    blob = _encrypt(key, os.urandom(3 * SEG))
    with pytest.raises(DecryptionError, match=r"truncated|modified"):
        _decrypt(key, blob[:-cut])


def test_reordered_segments_are_detected():
    key = generate_data_key()
    blob = _encrypt(key, os.urandom(3 * SEG))
    h, s = crypto.HEADER_SIZE, SEG + crypto.TAG_SIZE
    segs = [blob[h + i * s: h + (i + 1) * s] for i in range(3)] + [blob[h + 3 * s:]]
    swapped = blob[:h] + segs[1] + segs[0] + segs[2] + segs[3]
    with pytest.raises(DecryptionError, match="segment 0"):
        _decrypt(key, swapped)


def test_appended_data_is_detected():
    key = generate_data_key()
    blob = _encrypt(key, b"abc")
    with pytest.raises(DecryptionError):
        _decrypt(key, blob + _encrypt(key, b"def"))


def test_not_ciphertext_is_refused():
    with pytest.raises(DecryptionError, match="bad magic"):
        _decrypt(generate_data_key(), b"plain text that is long enough to have a header")


def test_segment_size_must_be_sane():
    with pytest.raises(Exception, match="power of two"):
        Encryptor(generate_data_key(), 1000)


def test_wrapped_key_opens_only_with_the_grantee_eth_key():
    grantee = Account.from_key(ANVIL_KEY_1)
    other = Account.from_key(ANVIL_KEY_2)
    public = grantee._key_obj.public_key.to_bytes()  # the 64-byte Ethereum public key
    data_key = generate_data_key()
    wrapped = wrap_key(data_key, public)
    assert unwrap_key(wrapped, grantee) == data_key
    assert unwrap_key(wrapped, bytes(grantee.key)) == data_key
    with pytest.raises(KeyUnwrapError, match="not wrapped for this key"):
        unwrap_key(wrapped, other)


def test_public_key_from_private_matches_eth_account():
    acct = Account.from_key(ANVIL_KEY_1)
    assert crypto.public_key_from_private(bytes(acct.key)) == acct._key_obj.public_key.to_bytes()


def test_tampered_wrapped_key_is_refused():
    acct = Account.from_key(ANVIL_KEY_1)
    wrapped = bytearray(wrap_key(generate_data_key(), acct._key_obj.public_key.to_bytes()))
    wrapped[-1] ^= 1
    with pytest.raises(KeyUnwrapError):
        unwrap_key(bytes(wrapped), acct)


def test_bad_public_key_is_refused():
    with pytest.raises(Exception, match="not a secp256k1 public key"):
        wrap_key(generate_data_key(), b"\x04" + b"\x01" * 64)


def test_owner_copy_is_sealed_with_scrypt_and_needs_the_password():
    data_key = generate_data_key()
    sealed = seal_with_password(data_key, "correct horse")
    assert data_key not in sealed
    assert sealed[5] == 15  # scrypt N = 2**15 recorded in the blob
    assert open_with_password(sealed, "correct horse") == data_key
    with pytest.raises(KeyUnwrapError, match="wrong password"):
        open_with_password(sealed, "wrong horse")
