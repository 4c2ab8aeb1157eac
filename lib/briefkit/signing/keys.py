"""The signer's key: a PKCS#12 file (``.p12`` / ``.pfx``) with its certificate.

The passphrase never comes from the command line (it would end up in the shell history and in
``ps``): it is read from the environment variable :data:`PASSPHRASE_ENV`, else asked for on
the terminal (``getpass``, nothing echoed) when standard input is one. A key stored without a
passphrase needs neither. Anything else is a clear :class:`KeyProblem`, raised before a single
file is touched.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509 as pyca_x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

if TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner

__all__ = ["PASSPHRASE_ENV", "KeyProblem", "SigningKey", "load_key"]

#: The environment variable holding the key's passphrase.
PASSPHRASE_ENV = "BRIEFKIT_KEY_PASSPHRASE"


class KeyProblem(ValueError):
    """The key cannot be used (missing file, wrong passphrase, no certificate…)."""


@dataclass(frozen=True)
class SigningKey:
    """A loaded key: the PKCS#12 bytes and passphrase pyHanko needs, and who it names."""

    path: Path
    data: bytes
    passphrase: bytes | None
    subject: str  #: the certificate's common name (else its whole subject)
    certificate_sha256: str  #: sha256 of the certificate's DER, lower-case hex

    def signer(self) -> SimpleSigner:
        """A fresh :class:`pyhanko.sign.signers.SimpleSigner` for this key."""
        from pyhanko.sign.signers import SimpleSigner

        signer: SimpleSigner = SimpleSigner.load_pkcs12_data(self.data, [], self.passphrase)
        return signer


def _is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _open(data: bytes, passphrase: bytes | None) -> tuple[object, pyca_x509.Certificate] | None:
    try:
        key, cert, _others = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError):
        return None
    if key is None or cert is None:
        raise KeyProblem("the PKCS#12 file holds no private key with its certificate")
    return key, cert


def _subject(cert: pyca_x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(pyca_x509.NameOID.COMMON_NAME)
    if names:
        return str(names[0].value)
    return cert.subject.rfc4514_string()


def load_key(path: str | Path, *, environ: Mapping[str, str] | None = None,
             prompt: Callable[[str], str] | None = None,
             interactive: bool | None = None) -> SigningKey:
    """Load the PKCS#12 key at ``path``.

    Without a passphrase first; when that fails, with ``$BRIEFKIT_KEY_PASSPHRASE`` if set,
    else with a passphrase asked on the terminal (``prompt``, default :func:`getpass.getpass`)
    when standard input is a terminal (``interactive`` overrides the check). Raises
    :class:`KeyProblem` with a message fit for the user otherwise.
    """
    path = Path(path)
    env = os.environ if environ is None else environ
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyProblem(f"{path}: cannot read the key ({exc.strerror or exc})") from None
    passphrase: bytes | None = None
    opened = _open(data, None) or _open(data, b"")
    if opened is None:
        if env.get(PASSPHRASE_ENV):
            passphrase = env[PASSPHRASE_ENV].encode("utf-8")
            source = f"the passphrase in ${PASSPHRASE_ENV}"
        elif interactive if interactive is not None else _is_tty():
            asked = (prompt or getpass.getpass)(f"Passphrase for {path.name}: ")
            passphrase = asked.encode("utf-8")
            source = "the passphrase given"
        else:
            raise KeyProblem(f"{path}: the key is protected by a passphrase (or is not a "
                             f"PKCS#12 file); set {PASSPHRASE_ENV} or run on a terminal to "
                             f"be asked for it")
        opened = _open(data, passphrase)
        if opened is None:
            raise KeyProblem(f"{path}: cannot open the key with {source} (wrong passphrase, "
                             f"or not a PKCS#12 file)")
    _key, cert = opened
    return SigningKey(path=path, data=data, passphrase=passphrase, subject=_subject(cert),
                      certificate_sha256=hashlib.sha256(
                          cert.public_bytes(Encoding.DER)).hexdigest())
