"""What a signed PDF says about its signatures, as the manifest records it.

Every record is read back from the file itself (never from what the signing code meant to do),
so the manifest describes the bytes that were published; and a briefing that an incremental
re-run kept (already signed) gets the same record as a freshly signed one.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Mapping
from typing import Any

from briefkit.clock import LOCAL_TZ

__all__ = ["LEVEL_B_B", "LEVEL_B_T", "embedded_signatures", "iso", "signature_records"]

LEVEL_B_B = "PAdES B-B"
LEVEL_B_T = "PAdES B-T"


def iso(moment: _dt.datetime) -> str:
    """ISO 8601 in Vietnamese time, to the second: ``2023-12-31T09:00:00+07:00``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return moment.astimezone(LOCAL_TZ).isoformat(timespec="seconds")


def embedded_signatures(data: bytes) -> list[Any]:
    """pyHanko's :class:`EmbeddedPdfSignature` objects of a PDF, in the file's order (raises
    pyHanko's / ValueError errors for a file it cannot read)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    return list(PdfFileReader(io.BytesIO(data)).embedded_signatures)


def _timestamp_token(signature: Any) -> Any | None:
    unsigned = signature.signer_info["unsigned_attrs"]
    if not unsigned:
        return None
    for attr in unsigned:
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]
    return None


def _common_name(cert: Any) -> str:
    subject = cert.subject.native
    return str(subject.get("common_name") or cert.subject.human_friendly)


def signature_records(data: bytes,
                      previous: list[Mapping[str, Any]] | None = None,
                      new_field: str | None = None,
                      timestamp_url: str | None = None) -> list[dict[str, Any]]:
    """One record per signature of the PDF ``data``: ``field``, ``signer`` (the certificate's
    common name), ``certificate_sha256``, ``signed_at`` (the signer's time, ISO 8601 +07:00),
    ``level`` (:data:`LEVEL_B_B`, or :data:`LEVEL_B_T` with a signature timestamp),
    ``timestamped_at`` (the timestamp authority's time) and ``timestamp_url``.

    The URL is not in the file: it is taken from ``previous`` (the manifest's earlier records)
    for a signature already recorded, and is ``timestamp_url`` for the signature just made in
    field ``new_field``.
    """
    known = {(r.get("field"), r.get("certificate_sha256"), r.get("signed_at")): r
             for r in previous or []}
    records = []
    for signature in embedded_signatures(data):
        cert = signature.signer_cert
        moment = signature.self_reported_timestamp
        token = _timestamp_token(signature)
        stamped_at = None
        if token is not None:
            info = token["content"]["encap_content_info"]["content"].parsed
            stamped_at = iso(info["gen_time"].native)
        record: dict[str, Any] = {
            "field": signature.field_name,
            "signer": _common_name(cert),
            "certificate_sha256": cert.sha256.hex(),
            "signed_at": None if moment is None else iso(moment),
            "level": LEVEL_B_T if token is not None else LEVEL_B_B,
            "timestamped_at": stamped_at,
        }
        before = known.get((record["field"], record["certificate_sha256"], record["signed_at"]))
        url = timestamp_url if record["field"] == new_field else \
            before.get("timestamp_url") if before else None
        record["timestamp_url"] = url if token is not None else None
        records.append(record)
    return records
