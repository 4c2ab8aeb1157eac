"""Sign the PDFs of a run with PAdES signatures (pyHanko) and record them in the manifest.

* Every PDF the manifest lists gets a PAdES signature (``/ETSI.CAdES.detached``, SHA-256):
  level B-B, or B-T when a timestamp authority is given (``--tsa URL``, RFC 3161 over HTTP).
  The signature is an incremental update: the original bytes stay, unchanged, as the start
  of the signed file.
* The signing time is the run's one time (:func:`briefkit.clock.run_time`: now, or
  ``SOURCE_DATE_EPOCH``) in Vietnamese time, also for the document's ``/ModDate``; the
  document id (``/ID``) is derived from the file and that time instead of being random.
  With RSA (PKCS#1 v1.5 signatures are deterministic) the same inputs, key and
  ``SOURCE_DATE_EPOCH`` give the same signed bytes; a timestamp token (B-T) differs every
  time, by nature.
* A PDF that already carries a signature is left as it is (and reported) unless ``again``,
  which adds one more signature after the existing ones (they stay valid: each covers its own
  revision).
* Nothing is half-done: the folder must match its manifest first; every PDF is signed into a
  hidden temporary file beside it, and only when all are signed are they moved into place
  (:func:`os.replace`) and the manifest rewritten (atomically) with the new sha256/size and a
  ``signatures`` entry per PDF (see :func:`~briefkit.signing.records.signature_records`).
* The Excel annex is not a PDF and cannot carry a PAdES signature; its sha256 in the manifest
  (checked by ``briefkit verify``) is what protects it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from briefkit.clock import run_time
from briefkit.manifest import MANIFEST_NAME, dump_manifest, file_entry, verify_manifest
from briefkit.signing.keys import SigningKey
from briefkit.signing.records import (
    LEVEL_B_B,
    LEVEL_B_T,
    embedded_signatures,
    iso,
    signature_records,
)

__all__ = ["SignOptions", "SignReport", "SigningProblem", "http_timestamper", "sign_pdf",
           "sign_run"]

# Where the visible stamp goes on the last page: bottom right, inside Decree 30's margins
# (right 15 mm, bottom 20 mm), under the signature block's right column.
_RIGHT_MARGIN_PT = 15 / 25.4 * 72
_BOTTOM_MARGIN_PT = 20 / 25.4 * 72
_A4_PT = (595.28, 841.89)


class SigningProblem(ValueError):
    """The folder or the options cannot be used; nothing was written."""


@dataclass(frozen=True)
class SignOptions:
    """How to sign: ``timestamper`` (a pyHanko ``TimeStamper``, for B-T) and the
    ``timestamp_url`` recorded with it; ``image``/``seal``: PNGs of a visible stamp (none:
    an invisible signature); ``again``: also sign PDFs that already carry a signature."""

    timestamper: Any = None
    timestamp_url: str | None = None
    image: Path | None = None
    seal: Path | None = None
    again: bool = False


@dataclass
class SignReport:
    folder: Path
    manifest: Path
    signed_at: str
    signed: list[str] = field(default_factory=list)  #: PDFs signed now
    kept: list[str] = field(default_factory=list)  #: PDFs already signed, left as they were


def http_timestamper(url: str) -> Any:
    """pyHanko's RFC 3161 client for the timestamp authority at ``url``."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url)


def _document_id(data: bytes, key: SigningKey, when: _dt.datetime) -> bytes:
    seed = b"\0".join([hashlib.sha256(data).digest(), key.certificate_sha256.encode(),
                       iso(when).encode()])
    return hashlib.sha256(seed).digest()[:16]


def _last_page_box(writer: Any) -> tuple[int, int, int, int]:
    page_ref, _resources = writer.find_page_for_modification(-1)
    try:
        x0, y0, x1, _y1 = (float(v) for v in page_ref.get_object()["/MediaBox"])
    except (KeyError, TypeError, ValueError):
        x0, y0, x1 = 0.0, 0.0, _A4_PT[0]
    from briefkit.signing.appearance import STAMP_SIZE_PT

    width, height = STAMP_SIZE_PT
    right = x1 - _RIGHT_MARGIN_PT
    bottom = y0 + _BOTTOM_MARGIN_PT
    return (round(max(x0, right - width)), round(bottom), round(right), round(bottom + height))


def sign_pdf(data: bytes, key: SigningKey, when: _dt.datetime, *, field_name: str,
             options: SignOptions = SignOptions()) -> bytes:
    """``data`` (a PDF) with one more PAdES signature in a new field ``field_name``, signed
    at ``when``. Raises pyHanko's errors (and ValueError for an unreadable image)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata.model import DocumentMetadata
    from pyhanko.sign import fields, signers

    class _FixedTimeSigner(signers.PdfSigner):
        """pyHanko reads the clock for the signing time; this one uses the run's."""

        def init_signing_session(self, pdf_out: Any,
                                 existing_fields_only: bool = False) -> Any:
            session = super().init_signing_session(pdf_out, existing_fields_only)
            session.system_time = when
            return session

    class _SignedAt(DocumentMetadata):
        """pyHanko sets /ModDate to the clock when it writes; this keeps the signing time."""

        def __setattr__(self, name: str, value: Any) -> None:
            super().__setattr__(name, when if name == "last_modified" else value)

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    try:  # the permanent half: the original's, else (WeasyPrint writes none) from its bytes
        writer.prev.trailer["/ID"]
        first = writer.document_id[0]
    except KeyError:
        first = hashlib.sha256(data).digest()[:16]
    writer._document_id = generic.ArrayObject([
        generic.ByteStringObject(first),
        generic.ByteStringObject(_document_id(data, key, when))])
    writer._meta = _SignedAt(**{f.name: getattr(writer._meta, f.name)
                                for f in dataclasses.fields(writer._meta)})
    meta = signers.PdfSignatureMetadata(field_name=field_name, md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES)
    spec = fields.SigFieldSpec(sig_field_name=field_name)
    style = None
    if options.image is not None:
        from pyhanko.pdf_utils import layout
        from pyhanko.pdf_utils.images import PdfImage
        from pyhanko.stamp import StaticStampStyle

        from briefkit.signing.appearance import stamp_image

        picture = stamp_image(key.subject, iso(when), image=options.image, seal=options.seal)
        spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=-1,
                                   box=_last_page_box(writer))
        style = StaticStampStyle(
            background=PdfImage(picture, name="BriefkitSignature"), border_width=0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID, margins=layout.Margins.uniform(0)))
    signer = _FixedTimeSigner(meta, key.signer(),
                              timestamper=options.timestamper, stamp_style=style,
                              new_field_spec=spec)
    output = signer.sign_pdf(writer)
    return bytes(output.getvalue())


def _field_name(existing: list[Any]) -> str:
    taken = {str(s.field_name) for s in existing}
    number = len(existing) + 1
    while f"Signature{number}" in taken:
        number += 1
    return f"Signature{number}"


@contextlib.contextmanager
def _staged(paths: list[Path]) -> Iterator[dict[Path, Path]]:
    """Temporary files beside each path (hidden ``.part`` names a run sweeps); removed on
    the way out if still there (moved ones are gone)."""
    temps: dict[Path, Path] = {}
    try:
        for path in paths:
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.sign-", suffix=".part",
                                        dir=path.parent)
            os.close(fd)
            temps[path] = Path(name)
        yield temps
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SigningProblem(f"{path}: cannot read the manifest ({exc}); is this a "
                             f"briefkit run folder (OUT/<period>)?") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), Mapping):
        raise SigningProblem(f"{path}: not a briefkit manifest (no outputs)")
    return manifest


def sign_run(folder: str | Path, key: SigningKey, *, when: _dt.datetime | None = None,
             options: SignOptions = SignOptions()) -> SignReport:
    """Sign every PDF of the run in ``folder`` (``OUT/<period>``) and update its manifest.

    ``when``: the signing time (default :func:`~briefkit.clock.run_time`). Raises
    :class:`SigningProblem`, having written nothing, when the folder has no manifest, does not
    match it, another run holds it, or a PDF cannot be signed.
    """
    from briefkit.batch.publish import exclusive
    from briefkit.problems import InputError

    folder = Path(folder)
    if not folder.is_dir():
        raise SigningProblem(f"{folder}: no such folder")
    moment = when or run_time()
    manifest_path = folder / MANIFEST_NAME
    manifest = _read_manifest(manifest_path)
    try:
        with exclusive(folder):
            return _sign_locked(folder, manifest_path, manifest, key, moment, options)
    except InputError as exc:
        raise SigningProblem(str(exc)) from None


def _sign_locked(folder: Path, manifest_path: Path, manifest: dict[str, Any], key: SigningKey,
                 when: _dt.datetime, options: SignOptions) -> SignReport:
    problems = verify_manifest(manifest_path, inputs=False)
    if problems:
        raise SigningProblem("the folder does not match its manifest, so nothing was signed:\n"
                             + "\n".join(f"  {p}" for p in problems))
    report = SignReport(folder, manifest_path, iso(when))
    pdfs = [rel for rel in sorted(manifest["outputs"]) if rel.lower().endswith(".pdf")]
    previous = manifest.get("signatures") or {}
    records: dict[str, list[dict[str, Any]]] = {}
    todo: dict[str, tuple[bytes, str]] = {}
    for rel in pdfs:
        data = (folder / rel).read_bytes()
        try:
            existing = embedded_signatures(data)
        except Exception as exc:  # pyHanko's reader raises several kinds
            raise SigningProblem(f"{rel}: cannot read the PDF ({exc})") from None
        if existing and not options.again:
            report.kept.append(rel)
            records[rel] = signature_records(data, previous.get(rel))
        else:
            todo[rel] = (data, _field_name(existing))
    with _staged([folder / rel for rel in todo]) as temps:
        signed: dict[str, bytes] = {}
        for rel, (data, name) in todo.items():
            try:
                signed[rel] = sign_pdf(data, key, when, field_name=name, options=options)
            except Exception as exc:  # pyHanko, the timestamp server, an unreadable image
                raise SigningProblem(f"{rel}: cannot sign ({type(exc).__name__}: {exc}); "
                                     f"nothing was changed") from None
            temps[folder / rel].write_bytes(signed[rel])
            records[rel] = signature_records(signed[rel], previous.get(rel), name,
                                             options.timestamp_url)
        for rel in todo:
            path = folder / rel
            os.chmod(temps[path], path.stat().st_mode & 0o777)
            os.replace(temps[path], path)
            manifest["outputs"][rel] = file_entry(path)
            report.signed.append(rel)
    manifest["signatures"] = {rel: records[rel] for rel in sorted(records) if records[rel]}
    manifest["signing"] = {  # the last `briefkit sign`: who, when, how
        "signer": key.subject, "certificate_sha256": key.certificate_sha256,
        "signed_at": report.signed_at,
        "level": LEVEL_B_T if options.timestamper is not None else LEVEL_B_B,
        "timestamp_url": options.timestamp_url, "signed": report.signed,
        "kept": report.kept}
    from briefkit.iorw import atomic_write_text

    atomic_write_text(manifest_path, dump_manifest(manifest))
    return report
