"""The trading keypair: read from a file named in config or from an environment variable.

Never from a command-line argument (it would sit in shell history and ``ps``). A key file that
its group or others may read is refused, as ``ssh`` refuses a private key. The secret never
leaves this module in readable form: :class:`Wallet` shows only the public key, and
:func:`secret_forms` lists the encodings a leak check must never find in a written file.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from solders.keypair import Keypair
from solders.pubkey import Pubkey

KEYPAIR_ENV = "MEMELAB_KEYPAIR"  # a keypair JSON array or base58 string, never logged


class KeypairError(ValueError):
    """The keypair cannot be loaded; the message names the source, never the secret."""


class Wallet:
    """A keypair that signs but never prints its secret."""

    __slots__ = ("_kp",)

    def __init__(self, keypair: Keypair):
        self._kp = keypair

    @property
    def pubkey(self) -> Pubkey:
        return self._kp.pubkey()

    @property
    def keypair(self) -> Keypair:
        """For ``VersionedTransaction(message, [wallet.keypair])`` only."""
        return self._kp

    def __repr__(self) -> str:
        return f"Wallet({self.pubkey})"

    __str__ = __repr__

    def __reduce__(self):  # never pickled into a results file or a subprocess argument
        raise TypeError("a Wallet cannot be pickled")


def _parse(text: str, source: str) -> Keypair:
    text = text.strip()
    try:
        if text.startswith("["):
            raw = json.loads(text)
            if not isinstance(raw, list) or len(raw) != 64:
                raise ValueError("expected a JSON array of 64 bytes")
            return Keypair.from_bytes(bytes(raw))
        return Keypair.from_base58_string(text)
    except Exception:  # solders raises its own types; never echo the input
        raise KeypairError(
            f"{source}: not a keypair (64-byte JSON array or base58 string)"
        ) from None


def load_wallet(path: str | os.PathLike[str] | None = None, env: str = KEYPAIR_ENV) -> Wallet:
    """The wallet from ``path`` (a solana-keygen JSON file, mode 0600 or stricter) or, when no
    path is given, from the environment variable ``env``."""
    if path is not None:
        p = Path(path)
        try:
            mode = p.stat().st_mode
        except OSError as exc:
            raise KeypairError(f"keypair file {p}: {exc.strerror}") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeypairError(
                f"keypair file {p} is accessible by group/others (mode {stat.S_IMODE(mode):o}); "
                f"chmod 600 {p}"
            )
        return Wallet(_parse(p.read_text(), f"keypair file {p}"))
    value = os.environ.get(env)
    if not value:
        raise KeypairError(f"no keypair: set keypair_path in the config or ${env}")
    return Wallet(_parse(value, f"${env}"))


def secret_forms(wallet: Wallet) -> list[bytes]:
    """Every encoding of the secret a leak check looks for: raw bytes, base58, JSON array,
    and the 32-byte seed (also as hex)."""
    kp = wallet.keypair
    raw = bytes(kp)
    return [
        raw,
        raw[:32],
        str(kp).encode(),
        json.dumps(list(raw)).encode(),
        json.dumps(list(raw), separators=(",", ":")).encode(),
        raw.hex().encode(),
        raw[:32].hex().encode(),
    ]


def write_keypair_file(path: str | os.PathLike[str], keypair: Keypair) -> Path:
    """Write a solana-keygen style file with mode 0600 (created so, never widened)."""
    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(list(bytes(keypair))))
    return p
