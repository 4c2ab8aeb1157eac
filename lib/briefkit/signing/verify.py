"""``briefkit verify OUT/<period>``: is the folder exactly what the manifest lists, and is every
signature intact?

* Every output the manifest lists must be there with its size and sha256; a file in the
  folder that the manifest does not list (hidden files aside) is named too: a recipient cannot
  tell it from a planted one.
* Every signature of every PDF is validated with pyHanko: the signed bytes unchanged
  (``intact``), the signature mathematically valid, the last signature covering the whole
  file (nothing appended after it) and earlier ones followed only by signing updates; a
  signature timestamp (B-T) intact and valid too. The signatures the manifest records must
  still be in the file, by the same certificates.
* The certificate chain is checked only against trust roots the user passes (``--trust
  CERT``, PEM or DER; no network fetching, so no revocation check); without one the report
  says "chain not checked" — a self-made certificate would otherwise pass as anyone's.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefkit.manifest import MANIFEST_NAME, verify_manifest
from briefkit.signing.records import embedded_signatures, signature_records

__all__ = ["VerifyProblem", "VerifyReport", "load_trust_roots", "verify_run"]


class VerifyProblem(ValueError):
    """The folder or a trust root cannot be used at all (not a verification failure)."""


@dataclass
class VerifyReport:
    folder: Path
    chain_checked: bool
    problems: list[str] = field(default_factory=list)  #: each names its file
    notes: list[str] = field(default_factory=list)  #: one line per signature / unsigned PDF
    files: int = 0
    signatures: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def load_trust_roots(paths: Sequence[str | Path]) -> list[Any]:
    """The certificates in ``paths`` (PEM, possibly several per file, or DER) as asn1crypto
    certificates; :class:`VerifyProblem` for a file that holds none."""
    from pyhanko.keys import load_certs_from_pemder

    roots: list[Any] = []
    for path in paths:
        try:
            found = list(load_certs_from_pemder([str(path)]))
        except (OSError, ValueError, TypeError) as exc:
            raise VerifyProblem(f"{path}: cannot read the trust root ({exc})") from None
        if not found:
            raise VerifyProblem(f"{path}: no certificate in the trust root file")
        roots += found
    return roots


@contextlib.contextmanager
def _quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs every untrusted chain with a traceback; the report says it once."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def _unlisted(folder: Path, outputs: Mapping[str, Any]) -> list[str]:
    extra = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or rel.as_posix() == MANIFEST_NAME:
            continue
        if path.is_file() and rel.as_posix() not in outputs:
            extra.append(f"{rel.as_posix()}: not in the manifest (an unexpected file)")
    return extra


def _contexts(roots: list[Any]) -> tuple[Any, Any]:
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    usage = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"},
                                match_all_key_usages=False)
    return context, usage


def _check_signature(rel: str, signature: Any, last: bool, roots: list[Any],
                     record: Mapping[str, Any]) -> tuple[list[str], str]:
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature

    name = f"{rel}: signature {record.get('field')!r} by {record.get('signer')!r}"
    context, usage = _contexts(roots)
    try:
        status = validate_pdf_signature(signature, context, context, key_usage_settings=usage)
    except Exception as exc:  # a damaged signature can fail in many ways
        return [f"{name}: cannot be validated ({type(exc).__name__}: {exc})"], ""
    problems = []
    if not status.intact:
        problems.append(f"{name}: the signed bytes were changed")
    if not status.valid:
        problems.append(f"{name}: the signature is not valid")
    if last and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append(f"{name}: does not cover the whole file (bytes added after it)")
    if not last and (status.coverage is None
                     or status.coverage < SignatureCoverageLevel.ENTIRE_REVISION
                     or status.docmdp_ok is False):
        problems.append(f"{name}: the document was changed after it beyond adding signatures")
    stamp = status.timestamp_validity
    if stamp is not None and not (stamp.intact and stamp.valid):
        problems.append(f"{name}: its timestamp token is not valid")
    if roots:
        if not status.trusted:
            problems.append(f"{name}: the certificate does not chain to the trust root "
                            f"({status.trust_problem_indic or 'no path'})")
        if stamp is not None and not stamp.trusted:
            problems.append(f"{name}: the timestamp authority does not chain to the trust "
                            f"root")
        chain = "certificate chain trusted"
    else:
        chain = "chain not checked (no --trust)"
    coverage = "covers the whole file" if last else "covers its revision"
    note = (f"{name}, signed {record.get('signed_at')}, {record.get('level')}: "
            f"intact, {coverage}; {chain}")
    return problems, note


def _check_pdf(folder: Path, rel: str, recorded: Sequence[Mapping[str, Any]],
               roots: list[Any], report: VerifyReport) -> None:
    data = (folder / rel).read_bytes()
    try:
        signatures = embedded_signatures(data)
        found = signature_records(data)
    except Exception as exc:  # pyHanko's reader raises several kinds on a damaged file
        report.problems.append(f"{rel}: cannot read the PDF's signatures "
                               f"({type(exc).__name__}: {exc})")
        return
    if len(found) < len(recorded):
        report.problems.append(f"{rel}: the manifest records {len(recorded)} signature(s), "
                               f"the file has {len(found)}")
    for want, have in zip(recorded, found, strict=False):
        if (want.get("field"), want.get("certificate_sha256")) != \
                (have["field"], have["certificate_sha256"]):
            report.problems.append(f"{rel}: signature {have['field']!r} is not the one the "
                                   f"manifest records ({want.get('field')!r} by "
                                   f"{want.get('signer')!r})")
    if not signatures:
        report.notes.append(f"{rel}: not signed")
        return
    for index, (signature, record) in enumerate(zip(signatures, found, strict=True)):
        problems, note = _check_signature(rel, signature, index == len(signatures) - 1,
                                          roots, record)
        report.problems += problems
        if note and not problems:
            report.notes.append(note)
        report.signatures += 1


def verify_run(folder: str | Path, *, trust: Sequence[str | Path] = (),
               inputs: bool = False) -> VerifyReport:
    """Verify the run in ``folder`` (``OUT/<period>``); see the module docstring.

    ``trust``: trust-root certificate files (the chain is checked only with them);
    ``inputs``: also check the input files the manifest lists (at their absolute paths).
    Raises :class:`VerifyProblem` for a folder without a readable manifest or an unreadable
    trust root; every mismatch is in the report's ``problems``.
    """
    folder = Path(folder)
    roots = load_trust_roots(trust)
    manifest_path = folder / MANIFEST_NAME
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VerifyProblem(f"{manifest_path}: cannot read the manifest ({exc}); is this a "
                            f"briefkit run folder (OUT/<period>)?") from None
    outputs = manifest.get("outputs") if isinstance(manifest, dict) else None
    if not isinstance(outputs, Mapping):
        raise VerifyProblem(f"{manifest_path}: not a briefkit manifest (no outputs)")
    report = VerifyReport(folder, chain_checked=bool(roots), files=len(outputs))
    report.problems += verify_manifest(manifest_path, inputs=inputs)
    report.problems += _unlisted(folder, outputs)
    recorded = manifest.get("signatures") or {}
    for rel in sorted(set(recorded) - set(outputs)):
        report.problems.append(f"{rel}: the manifest records signatures for a file it does "
                               f"not list")
    with _quiet_pyhanko():
        for rel in sorted(outputs):
            path = folder / rel
            if rel.lower().endswith(".pdf") and path.is_file() and \
                    path.resolve().is_relative_to(folder.resolve()):
                _check_pdf(folder, rel, recorded.get(rel) or [], roots, report)
    return report
