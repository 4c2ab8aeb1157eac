"""``briefkit sign`` / ``briefkit verify`` / ``run --sign``: PAdES signatures with pyHanko.

Keys and certificates are made here (a CA, a signer, a timestamp authority; RSA 2048, fixed
serials and validity 2020–2049). Most tests sign a small run folder made directly (two
WeasyPrint PDFs, an annex, kpis.csv and a manifest written by ``briefkit.manifest``); one
module-scoped ``briefkit run --sign`` goes through the real batch (scripted notebooks, real
PDFs). No network: B-T uses pyHanko's test timestamper.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from typer.testing import CliRunner

from briefkit.cli import app
from briefkit.i18n import language
from briefkit.manifest import MANIFEST_NAME, verify_manifest, write_manifest
from briefkit.periods import parse_period
from briefkit.signing import (
    LEVEL_B_B,
    LEVEL_B_T,
    PASSPHRASE_ENV,
    KeyProblem,
    SignOptions,
    load_key,
    sign_pdf,
    sign_run,
    verify_run,
)

pytest.importorskip("pyhanko")
weasyprint = pytest.importorskip("weasyprint")

from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402

runner = CliRunner()


@pytest.fixture(autouse=True)
def english_messages():
    """The signing module's messages are English; the command's own are checked in English
    here too (set explicitly: the default language is Vietnamese)."""
    with language("en"):
        yield


PASSPHRASE = "mật khẩu bí mật"
EPOCH = "1703995200"  # 2023-12-31T04:00:00Z
SIGNED_AT = "2023-12-31T11:00:00+07:00"
WHEN = dt.datetime(2023, 12, 31, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2049, 12, 31, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------- keys


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "UBND quận Mẫu"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _cert(subject: str, key: rsa.RSAPrivateKey, serial: int, issuer: x509.Name | None = None,
          issuer_key: rsa.RSAPrivateKey | None = None, ca: bool = False,
          tsa: bool = False) -> x509.Certificate:
    usage = dict(digital_signature=not ca, content_commitment=not ca and not tsa,
                 key_encipherment=False, data_encipherment=False, key_agreement=False,
                 key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)
    builder = (x509.CertificateBuilder().subject_name(_name(subject))
               .issuer_name(issuer or _name(subject)).public_key(key.public_key())
               .serial_number(serial).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(**usage), critical=True))
    if tsa:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key or key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A CA, a signer it certifies (PKCS#12 with and without passphrase), a TSA, another CA."""
    root = tmp_path_factory.mktemp("pki")
    ca_key, signer_key, tsa_key, other_key = (
        rsa.generate_private_key(65537, 2048) for _ in range(4))
    ca = _cert("CA thử nghiệm", ca_key, 1, ca=True)
    signer = _cert("Nguyễn Văn An", signer_key, 2, ca.subject, ca_key)
    tsa = _cert("TSA thử nghiệm", tsa_key, 3, ca.subject, ca_key, tsa=True)
    other = _cert("CA khác", other_key, 4, ca=True)
    for name, cert in (("ca.pem", ca), ("other-ca.pem", other)):
        (root / name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (root / "signer.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", signer_key, signer, [ca], serialization.NoEncryption()))
    (root / "locked.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        b"signer", signer_key, signer, [ca],
        serialization.BestAvailableEncryption(PASSPHRASE.encode())))
    return {"root": root, "ca": ca, "signer": signer, "tsa": tsa, "tsa_key": tsa_key,
            "key": root / "signer.p12", "locked": root / "locked.p12",
            "ca_pem": root / "ca.pem", "other_pem": root / "other-ca.pem",
            "fingerprint": signer.fingerprint(hashes.SHA256()).hex()}


def _asn1(cert: x509.Certificate) -> Any:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


# ---------------------------------------------------------------------------- a run


def _pdf(title: str) -> bytes:
    html = (f"<html lang='vi'><body><h1>{title}</h1><p>Tỷ lệ hồ sơ trực tuyến đạt 91,71%."
            f"</p></body></html>")
    return bytes(weasyprint.HTML(string=html).write_pdf())


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unsigned run folder made once: two PDFs, an annex, kpis.csv and its manifest."""
    folder = tmp_path_factory.mktemp("template") / "2023Q4"
    (folder / "TP").mkdir(parents=True)
    files = {"TP/briefing.pdf": _pdf("Báo cáo đơn vị TP"), "overview.pdf": _pdf("Tổng hợp"),
             "annex.xlsx": b"PK\x03\x04 annex bytes", "kpis.csv": b"unit_id,kpi\nTP,x\n"}
    for rel, data in files.items():
        (folder / rel).write_bytes(data)
    (folder / ".hidden.part").touch()  # a hidden file is not an output
    moment = dt.datetime(2024, 1, 2, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    write_manifest(folder / MANIFEST_NAME, period=parse_period("2023Q4"), outputs=list(files),
                   data_files={}, parameters={}, units=[], executor="test",
                   started_at=moment, finished_at=moment)
    return folder


@pytest.fixture
def run(template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "out" / "2023Q4"
    shutil.copytree(template, folder)
    return folder


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _sign(folder: Path, key: Path, *extra: str) -> Any:
    return runner.invoke(app, ["sign", str(folder), "--key", str(key), *extra])


def _verify(folder: Path, *extra: str) -> Any:
    return runner.invoke(app, ["verify", str(folder), *extra])


def _status(data: bytes, roots: list[Any], index: int = -1) -> Any:
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[index]
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    return validate_pdf_signature(signature, context, context)


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


# ------------------------------------------------------------------ sign, then verify


def test_sign_then_verify_passes_and_the_manifest_records_it(run: Path, pki: dict[str, Any],
                                                             env: None) -> None:
    before = _snapshot(run)
    result = _sign(run, pki["key"])
    assert result.exit_code == 0, result.output
    assert "Signed 2 PDFs as 'Nguyễn Văn An' at 2023-12-31T11:00:00+07:00" in result.output
    after = _snapshot(run)
    for rel in ("TP/briefing.pdf", "overview.pdf"):
        assert after[rel] != before[rel]
        assert after[rel].startswith(before[rel])  # an incremental update: original intact
    assert after["annex.xlsx"] == before["annex.xlsx"]  # not a PDF: hashed, never signed
    assert verify_manifest(run / MANIFEST_NAME, inputs=False) == []
    manifest = json.loads((run / MANIFEST_NAME).read_text("utf-8"))
    assert set(manifest["signatures"]) == {"TP/briefing.pdf", "overview.pdf"}
    record = manifest["signatures"]["overview.pdf"]
    assert record == [{"field": "Signature1", "signer": "Nguyễn Văn An",
                       "certificate_sha256": pki["fingerprint"], "signed_at": SIGNED_AT,
                       "level": LEVEL_B_B, "timestamped_at": None, "timestamp_url": None}]
    assert manifest["signing"]["signed_at"] == SIGNED_AT
    assert manifest["signing"]["signer"] == "Nguyễn Văn An"

    checked = _verify(run)
    assert checked.exit_code == 0, checked.output
    assert "chain not checked" in checked.output
    assert "2 signatures" in checked.output and "OK" in checked.output


def test_pyhanko_validator_reports_the_signatures_intact_and_trusted(
        run: Path, pki: dict[str, Any], env: None) -> None:
    assert _sign(run, pki["key"]).exit_code == 0
    for rel in ("TP/briefing.pdf", "overview.pdf"):
        data = (run / rel).read_bytes()
        status = _status(data, [_asn1(pki["ca"])])
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
        assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        assert status.bottom_line
        sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
        assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
        assert sig.self_reported_timestamp == WHEN
    trusted = _verify(run, "--trust", str(pki["ca_pem"]))
    assert trusted.exit_code == 0, trusted.output
    assert "certificate chain trusted" in trusted.output
    assert "chain not checked" not in trusted.output
    stranger = _verify(run, "--trust", str(pki["other_pem"]))
    assert stranger.exit_code == 1
    assert "does not chain to the trust root" in stranger.output


def test_one_byte_changed_in_a_pdf_fails_verify_naming_it(run: Path, pki: dict[str, Any],
                                                          env: None) -> None:
    original = len((run / "overview.pdf").read_bytes())
    assert _sign(run, pki["key"]).exit_code == 0
    _flip(run / "overview.pdf", original // 2)  # inside the signed first revision
    result = _verify(run)
    assert result.exit_code == 1
    assert re.search(r"FAILED overview\.pdf: sha256 differs", result.output), result.output
    assert "TP/briefing.pdf" not in result.output.split("FAILED", 1)[1]

    # a forger who also fixes the manifest's hash is still caught by the signature
    manifest = json.loads((run / MANIFEST_NAME).read_text("utf-8"))
    manifest["outputs"]["overview.pdf"]["sha256"] = hashlib.sha256(
        (run / "overview.pdf").read_bytes()).hexdigest()
    (run / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    forged = _verify(run)
    assert forged.exit_code == 1
    assert "FAILED overview.pdf: signature 'Signature1'" in forged.output
    assert "sha256 differs" not in forged.output


def test_one_byte_changed_in_the_annex_fails_verify_naming_it(run: Path, pki: dict[str, Any],
                                                              env: None) -> None:
    assert _sign(run, pki["key"]).exit_code == 0
    _flip(run / "annex.xlsx", 5)
    result = _verify(run)
    assert result.exit_code == 1
    assert "FAILED annex.xlsx: sha256 differs" in result.output


def test_missing_and_unexpected_files_fail_verify(run: Path, pki: dict[str, Any],
                                                  env: None) -> None:
    assert _sign(run, pki["key"]).exit_code == 0
    (run / "kpis.csv").unlink()
    (run / "TP" / "forged.pdf").write_bytes(b"%PDF-1.7 planted")
    result = _verify(run)
    assert result.exit_code == 1
    assert "FAILED kpis.csv: missing" in result.output
    assert "FAILED TP/forged.pdf: not in the manifest" in result.output


def test_verify_without_a_manifest_or_with_a_bad_trust_root_is_unusable_input(
        tmp_path: Path, run: Path) -> None:
    assert _verify(tmp_path).exit_code == 2
    bad = tmp_path / "root.pem"
    bad.write_text("not a certificate", encoding="utf-8")
    assert _verify(run, "--trust", str(bad)).exit_code == 2


def test_an_unsigned_run_verifies_and_says_so(run: Path) -> None:
    result = _verify(run)
    assert result.exit_code == 0, result.output
    assert "overview.pdf: not signed" in result.output


# ------------------------------------------------------------------ the key's passphrase


def test_passphrase_from_the_environment(run: Path, pki: dict[str, Any], env: None,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    result = _sign(run, pki["locked"])
    assert result.exit_code == 0, result.output
    assert _verify(run).exit_code == 0


@pytest.mark.parametrize("passphrase", ["sai mật khẩu", None])
def test_wrong_or_missing_passphrase_exits_2_and_writes_nothing(
        run: Path, pki: dict[str, Any], env: None, monkeypatch: pytest.MonkeyPatch,
        passphrase: str | None) -> None:
    if passphrase is not None:
        monkeypatch.setenv(PASSPHRASE_ENV, passphrase)
    before = _snapshot(run)
    result = _sign(run, pki["locked"])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    if passphrase is None:  # CliRunner's stdin is not a terminal: no prompt
        assert f"protected by a passphrase (or is not a PKCS#12 file); set {PASSPHRASE_ENV}" \
            in message
    else:
        assert f"cannot open the key with the passphrase in ${PASSPHRASE_ENV} (wrong " \
               f"passphrase" in message
    assert _snapshot(run) == before


def test_passphrase_prompted_on_a_terminal_and_not_needed_for_an_open_key(
        pki: dict[str, Any]) -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return PASSPHRASE

    key = load_key(pki["locked"], environ={}, prompt=prompt, interactive=True)
    assert asked == ["Passphrase for locked.p12: "]
    assert key.subject == "Nguyễn Văn An" and key.certificate_sha256 == pki["fingerprint"]
    open_key = load_key(pki["key"], environ={}, prompt=prompt, interactive=True)
    assert len(asked) == 1 and open_key.passphrase is None
    with pytest.raises(KeyProblem, match="wrong passphrase"):
        load_key(pki["locked"], environ={}, prompt=lambda _: "sai", interactive=True)
    with pytest.raises(KeyProblem, match="cannot read the key"):
        load_key(pki["root"] / "nope.p12", environ={})


def test_no_command_line_option_takes_a_passphrase() -> None:
    command = typer.main.get_command(app)
    for name in ("sign", "run"):
        options = [opt for param in command.commands[name].params  # type: ignore[attr-defined]
                   for opt in param.opts]
        assert not [opt for opt in options if "pass" in opt.lower() or "pin" in opt.lower()]
    refused = runner.invoke(app, ["sign", ".", "--key", "k.p12", "--passphrase", "x"])
    assert refused.exit_code == 2 and "No such option" in refused.output


# ------------------------------------------------------------------ byte stability


def _outside_contents(data: bytes) -> bytes:
    """The file with the signature's /Contents hex blanked out."""
    return re.sub(rb"/Contents\s*<[0-9a-fA-F]+>", b"/Contents <>", data)


def test_two_processes_sign_the_same_bytes(template: Path, tmp_path: Path,
                                           pki: dict[str, Any]) -> None:
    signed = []
    for name in ("a", "b"):
        folder = tmp_path / name / "2023Q4"
        shutil.copytree(template, folder)
        environ = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
        environ.pop(PASSPHRASE_ENV, None)
        done = subprocess.run([sys.executable, "-m", "briefkit", "sign", str(folder),
                               "--key", str(pki["key"])], env=environ, capture_output=True,
                              text=True, cwd=ROOT, timeout=300)
        assert done.returncode == 0, done.stderr + done.stdout
        signed.append(_snapshot(folder))
    first, second = signed
    for rel in ("TP/briefing.pdf", "overview.pdf"):
        original = (template / rel).read_bytes()
        assert first[rel].startswith(original) and second[rel].startswith(original)
        assert _outside_contents(first[rel]) == _outside_contents(second[rel])
        assert first[rel] == second[rel]  # RSA PKCS#1 v1.5: the signature is the same too
    assert first[MANIFEST_NAME] == second[MANIFEST_NAME]


# ------------------------------------------------------------------ B-T, again, visible


def test_b_t_with_a_timestamp_authority(run: Path, pki: dict[str, Any],
                                        template: Path) -> None:
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    from briefkit.signing import signature_records

    stamped = dt.datetime(2023, 12, 31, 4, 0, 5, tzinfo=dt.UTC)
    tsa = DummyTimeStamper(tsa_cert=_asn1(pki["tsa"]), tsa_key=_tsa_key(pki),
                           fixed_dt=stamped)
    key = load_key(pki["key"], environ={})
    original = (template / "overview.pdf").read_bytes()
    data = sign_pdf(original, key, WHEN, field_name="Signature1",
                    options=SignOptions(timestamper=tsa))
    status = _status(data, [_asn1(pki["ca"])])
    assert status.bottom_line, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    [record] = signature_records(data)
    assert record["level"] == LEVEL_B_T
    assert record["timestamped_at"] == "2023-12-31T11:00:05+07:00"

    options = SignOptions(timestamper=tsa, timestamp_url="http://tsa.example/")
    report = sign_run(run, key, when=WHEN, options=options)
    assert report.signed == ["TP/briefing.pdf", "overview.pdf"]
    manifest = json.loads((run / MANIFEST_NAME).read_text("utf-8"))
    assert manifest["signatures"]["overview.pdf"][0]["timestamp_url"] == "http://tsa.example/"
    assert manifest["signing"]["level"] == LEVEL_B_T
    checked = verify_run(run, trust=[pki["ca_pem"]])
    assert checked.ok, checked.problems


def _tsa_key(pki: dict[str, Any]) -> Any:
    from asn1crypto import keys as asn1_keys

    return asn1_keys.PrivateKeyInfo.load(pki["tsa_key"].private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))


def test_signed_files_are_kept_unless_again(run: Path, pki: dict[str, Any],
                                            env: None) -> None:
    assert _sign(run, pki["key"]).exit_code == 0
    once = _snapshot(run)
    again = _sign(run, pki["key"])
    assert again.exit_code == 0
    assert "Signed 0 PDFs" in again.output and "2 already signed" in again.output
    assert {k: v for k, v in _snapshot(run).items() if k != MANIFEST_NAME} == \
        {k: v for k, v in once.items() if k != MANIFEST_NAME}
    twice = _sign(run, pki["key"], "--again")
    assert twice.exit_code == 0, twice.output
    data = (run / "overview.pdf").read_bytes()
    assert data.startswith(once["overview.pdf"])
    first = _status(data, [_asn1(pki["ca"])], index=0)
    assert first.intact and first.valid and first.docmdp_ok
    assert first.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    manifest = json.loads((run / MANIFEST_NAME).read_text("utf-8"))
    assert [r["field"] for r in manifest["signatures"]["overview.pdf"]] == \
        ["Signature1", "Signature2"]
    result = _verify(run, "--trust", str(pki["ca_pem"]))
    assert result.exit_code == 0, result.output
    assert "covers its revision" in result.output


def test_a_visible_stamp_with_the_signers_image_and_the_seal(run: Path, pki: dict[str, Any],
                                                             env: None, tmp_path: Path) -> None:
    from PIL import Image

    image, seal = tmp_path / "chu-ky.png", tmp_path / "con-dau.png"
    Image.new("RGBA", (300, 120), (0, 0, 200, 255)).save(image)
    Image.new("RGBA", (200, 200), (220, 0, 0, 160)).save(seal)
    result = _sign(run, pki["key"], "--image", str(image), "--seal", str(seal))
    assert result.exit_code == 0, result.output
    data = (run / "overview.pdf").read_bytes()
    assert _status(data, [_asn1(pki["ca"])]).bottom_line
    reader = PdfFileReader(io.BytesIO(data))
    last = reader.root["/Pages"]["/Kids"][-1].get_object()
    [widget] = [a.get_object() for a in last["/Annots"]
                if a.get_object().get("/FT") == "/Sig"]
    x1, y1, x2, y2 = (float(v) for v in widget["/Rect"])
    assert x2 - x1 == 220 and y2 - y1 == 100  # a real box, bottom right of the page
    assert x2 <= float(last["/MediaBox"][2]) - 40 and y1 >= 50
    assert "/N" in widget["/AP"]
    assert _verify(run).exit_code == 0
    assert _sign(run, pki["key"], "--seal", str(seal), "--again").exit_code == 2


def test_a_folder_that_does_not_match_its_manifest_is_not_signed(
        run: Path, pki: dict[str, Any], env: None) -> None:
    _flip(run / "overview.pdf", 100)
    before = _snapshot(run)
    result = _sign(run, pki["key"])
    assert result.exit_code == 2
    assert "does not match its manifest" in result.output and "overview.pdf" in result.output
    assert _snapshot(run) == before


# ------------------------------------------------------------------ run --sign


@pytest.fixture(scope="module")
def signed_run(tmp_path_factory: pytest.TempPathFactory, pki: dict[str, Any]) -> dict[str, Any]:
    """``briefkit run --sign`` on the KPI fixture district: scripted notebooks (no kernel),
    real WeasyPrint PDFs, in this process."""
    from briefkit import batch
    from briefkit.workers import tasks
    from tests import kpi_fixture
    from tests.test_batch import ScriptedExecutor, fake_annex, make_notebooks

    def render(notebook: Path, html: Path, pdf: Path) -> None:
        html.write_text(f"<html><body>{notebook.name}</body></html>", encoding="utf-8")
        pdf.write_bytes(_pdf(notebook.stem))

    root = tmp_path_factory.mktemp("signed_run")
    data = kpi_fixture.write_folder(root / "data")
    notebooks = make_notebooks(root / "notebooks")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tasks, "default_renderer", lambda: render)
        mp.setattr(tasks, "default_annex_writer", lambda: fake_annex)
        mp.setattr(batch, "run_batch", _with_executor(batch.run_batch, ScriptedExecutor()))
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        result = runner.invoke(app, [
            "run", "--data", str(data), "--period", "2022Q1", "--out", str(root / "out"),
            "--units", "007", "--notebooks", str(notebooks), "--workers", "0",
            "--no-progress", "--sign", str(pki["key"])])
    return {"result": result, "folder": root / "out" / "2022Q1", "root": root}


def _with_executor(run_batch: Any, executor: Any) -> Any:
    def wrapped(request: Any, **kwargs: Any) -> Any:
        return run_batch(request, executor=executor, **kwargs)
    return wrapped


def test_run_with_sign_signs_every_pdf(signed_run: dict[str, Any], pki: dict[str, Any]) -> None:
    result = signed_run["result"]
    assert result.exit_code == 0, result.output
    folder = signed_run["folder"]
    manifest = json.loads((folder / MANIFEST_NAME).read_text("utf-8"))
    pdfs = sorted(rel for rel in manifest["outputs"] if rel.endswith(".pdf"))
    assert len(pdfs) >= 2  # the unit's briefing and the overview
    assert sorted(manifest["signatures"]) == pdfs
    assert all(r[0]["signed_at"] == SIGNED_AT for r in manifest["signatures"].values())
    checked = verify_run(folder, trust=[pki["ca_pem"]])
    assert checked.ok, checked.problems
    assert checked.signatures == len(pdfs)


def test_run_with_an_unusable_key_writes_nothing(tmp_path: Path, pki: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    result = runner.invoke(app, [
        "run", "--data", str(tmp_path / "data"), "--period", "2022Q1", "--out",
        str(tmp_path / "out"), "--sign", str(pki["locked"]), "--no-progress"])
    assert result.exit_code == 2
    assert PASSPHRASE_ENV in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_a_failure_while_signing_changes_nothing(run: Path, pki: dict[str, Any], env: None,
                                                 tmp_path: Path) -> None:
    broken = tmp_path / "not-a-png.png"
    broken.write_bytes(b"not an image")
    before = _snapshot(run)
    result = _sign(run, pki["key"], "--image", str(broken))
    assert result.exit_code == 2
    assert "cannot sign" in result.output and "nothing was changed" in result.output
    assert _snapshot(run) == before  # no half-signed file, no temporary file left


def test_a_visible_stamp_is_byte_stable_too(template: Path, pki: dict[str, Any],
                                            tmp_path: Path) -> None:
    from PIL import Image

    image = tmp_path / "chu-ky.png"
    Image.new("RGBA", (300, 120), (0, 0, 200, 255)).save(image)
    key = load_key(pki["key"], environ={})
    original = (template / "overview.pdf").read_bytes()
    first, second = (sign_pdf(original, key, WHEN, field_name="Signature1",
                              options=SignOptions(image=image)) for _ in range(2))
    assert first == second
