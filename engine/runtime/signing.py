"""The audit's keys: an Ed25519 key pair kept outside the store, and what is signed with it.

The private key signs checkpoints of the trail (:mod:`engine.runtime.checkpoints`); whoever
holds only the store cannot make a valid signature, so a chain recomputed after an edit no
longer matches a checkpoint signed before it. Keys are PEM files: the private key in PKCS #8
(unencrypted: file permissions 0600 protect it), the public key as SubjectPublicKeyInfo.
A key is known to the reader by its fingerprint only (``ed25519:`` and the SHA-256 of the raw
public key); no message, output or error ever shows key material.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from engine.errors import KeyFileError, OutputFileError, os_reason

__all__ = [
    "KeyPairFiles",
    "SigningKey",
    "VerifyKey",
    "generate_key_pair",
    "load_signing_key",
    "load_verify_key",
    "public_key_path",
]

#: Larger than any PEM key file; a bigger file is not a key (and is not read whole).
_MAX_KEY_FILE = 64 * 1024


def _fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + sha256(raw).hexdigest()


@dataclass(frozen=True, slots=True)
class VerifyKey:
    """A public key that checks signatures, known by its fingerprint."""

    key: Ed25519PublicKey
    fingerprint: str

    @classmethod
    def of(cls, key: Ed25519PublicKey) -> VerifyKey:
        return cls(key, _fingerprint(key))

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"VerifyKey({self.fingerprint!r})"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private key that signs; its ``repr`` shows the fingerprint, never the key."""

    key: Ed25519PrivateKey
    public: VerifyKey

    @classmethod
    def of(cls, key: Ed25519PrivateKey) -> SigningKey:
        return cls(key, VerifyKey.of(key.public_key()))

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    def __repr__(self) -> str:
        return f"SigningKey({self.fingerprint!r})"


@dataclass(frozen=True, slots=True)
class KeyPairFiles:
    """Where a new key pair was written, and the fingerprint of its public key."""

    private: Path
    public: Path
    fingerprint: str


def public_key_path(private: str | os.PathLike[str]) -> Path:
    """Where the public half of a private key file is written: beside it, with ``.pub``."""
    path = Path(private)
    return path.with_name(path.name + ".pub")


def _read_key_file(path: Path, kind: str) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise KeyFileError(str(path), "文件不存在", kind) from None
    except OSError as exc:
        raise KeyFileError(str(path), os_reason(exc), kind) from None
    if len(data) > _MAX_KEY_FILE:
        raise KeyFileError(str(path), "文件过大，不是密钥文件", kind)
    return data


def load_signing_key(path: str | os.PathLike[str]) -> SigningKey:
    """The Ed25519 private key in a PEM file (as ``generate_key_pair`` writes it)."""
    where = Path(path)
    data = _read_key_file(where, "私钥")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(str(where), "私钥已加密，docflow 只读取未加密的私钥", "私钥") from None
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(str(where), "不是 PEM 格式的私钥", "私钥") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(str(where), "不是 Ed25519 私钥", "私钥")
    return SigningKey.of(key)


def load_verify_key(path: str | os.PathLike[str]) -> VerifyKey:
    """The Ed25519 public key in a PEM file; a private key file gives its public half."""
    where = Path(path)
    data = _read_key_file(where, "公钥")
    if b"PRIVATE KEY" in data:
        return load_signing_key(where).public
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm):
        raise KeyFileError(str(where), "不是 PEM 格式的公钥", "公钥") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(str(where), "不是 Ed25519 公钥", "公钥")
    return VerifyKey.of(key)


def _write_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a file that must not exist yet, readable by its owner only."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise OutputFileError(str(path), "文件已存在，不覆盖已有的密钥") from None
    except OSError as exc:
        raise OutputFileError(str(path), os_reason(exc)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise OutputFileError(str(path), os_reason(exc)) from None


def generate_key_pair(out: str | os.PathLike[str]) -> KeyPairFiles:
    """A new key pair: the private key in ``out``, the public key in ``out.pub``.

    Both files are created with permissions 0600; neither may exist already (an audit key is
    never overwritten). If the second file cannot be written, the first is removed.
    """
    private_path = Path(out)
    public_path = public_key_path(private_path)
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            raise OutputFileError(str(path), "文件已存在，不覆盖已有的密钥")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_new(private_path, private_pem)
    try:
        _write_new(public_path, public_pem)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return KeyPairFiles(private_path, public_path, _fingerprint(key.public_key()))
