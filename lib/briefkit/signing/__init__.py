"""Digital signatures (PAdES, with pyHanko) on the PDFs of a run, and their verification.

* :mod:`~briefkit.signing.keys`: the signer's PKCS#12 key; the passphrase from
  ``$BRIEFKIT_KEY_PASSPHRASE`` or a terminal prompt, never the command line.
* :mod:`~briefkit.signing.sign`: ``briefkit sign`` / ``run --sign``: every PDF of a run signed
  (B-B, or B-T with a timestamp authority), the manifest updated.
* :mod:`~briefkit.signing.verify`: ``briefkit verify``: every file against the manifest,
  every signature with pyHanko's validator, the chain against ``--trust`` roots.
* :mod:`~briefkit.signing.records`: what the manifest records about a signature.
* :mod:`~briefkit.signing.appearance`: the optional visible stamp (Decree 30).

pyHanko is imported only when a command needs it, so ``import briefkit`` stays light.
"""

from __future__ import annotations

from briefkit.signing.keys import PASSPHRASE_ENV, KeyProblem, SigningKey, load_key
from briefkit.signing.records import LEVEL_B_B, LEVEL_B_T, signature_records
from briefkit.signing.sign import (
    SigningProblem,
    SignOptions,
    SignReport,
    http_timestamper,
    sign_pdf,
    sign_run,
)
from briefkit.signing.verify import VerifyProblem, VerifyReport, load_trust_roots, verify_run

__all__ = [
    "LEVEL_B_B",
    "LEVEL_B_T",
    "PASSPHRASE_ENV",
    "KeyProblem",
    "SignOptions",
    "SignReport",
    "SigningKey",
    "SigningProblem",
    "VerifyProblem",
    "VerifyReport",
    "http_timestamper",
    "load_key",
    "load_trust_roots",
    "sign_pdf",
    "sign_run",
    "signature_records",
    "verify_run",
]
