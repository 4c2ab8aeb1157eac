"""The command line speaks Vietnamese by default and English when the locale asks for it; the
Vietnamese catalogue covers every message the code marks; notes and warnings about what the
figures mean (no targets, a period outside the data)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from briefkit import i18n
from briefkit.coverage import DataSpan, outside_data
from briefkit.i18n import _, current_language, language, language_from_env, ngettext
from briefkit.periods import parse_period
from tests import kpi_fixture

PACKAGE = Path(i18n.__file__).parent
PO = i18n.LOCALE_DIR / "vi" / "LC_MESSAGES" / "briefkit.po"
MO = PO.with_suffix(".mo")
LOCALE_VARS = ("BRIEFKIT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def briefkit(*args: str, lang: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m briefkit ARGS`` with ``LANG=lang`` and no other locale variable."""
    environ = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}
    environ |= {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb", **env}
    if lang is not None:
        environ["LANG"] = lang
    return subprocess.run([sys.executable, "-m", "briefkit", *args], capture_output=True,
                          text=True, env=environ, timeout=120, check=False)


def flat(done: subprocess.CompletedProcess[str]) -> str:
    """stdout and stderr as one line of single spaces (help panels wrap and draw borders)."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", done.stdout + done.stderr).split())


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small hand-built district (dossiers from 05/01/2021 to 30/06/2022)."""
    return kpi_fixture.write_folder(tmp_path_factory.mktemp("i18n") / "data")


# ------------------------------------------------------------------------ choosing the language


@pytest.mark.parametrize(("environ", "expected"), [
    ({}, "vi"),
    ({"LANG": "C.UTF-8"}, "vi"),
    ({"LANG": "POSIX"}, "vi"),
    ({"LANG": "vi_VN.UTF-8"}, "vi"),
    ({"LANG": "fr_FR.UTF-8"}, "vi"),  # no French catalogue: the tool's default
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "en"}, "en"),
    ({"LANG": "en_GB"}, "en"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "vi_VN.UTF-8"}, "en"),  # LC_ALL before LANG
    ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "C.UTF-8"}, "en"),
    ({"LANGUAGE": "vi", "LC_ALL": "en_US.UTF-8"}, "vi"),  # LANGUAGE first, as gettext
    ({"LANGUAGE": "fr:en", "LANG": "C"}, "en"),  # a priority list
    ({"LANGUAGE": "", "LANG": "en_US.UTF-8"}, "en"),  # empty is unset
    ({"BRIEFKIT_LANG": "vi", "LANG": "en_US.UTF-8"}, "vi"),  # briefkit's own override
    ({"BRIEFKIT_LANG": "en", "LANG": "vi_VN.UTF-8"}, "en"),
    ({"LANG": "english"}, "vi"),  # not a locale name
])
def test_language_from_env(environ: dict[str, str], expected: str) -> None:
    assert language_from_env(environ) == expected


def test_set_language_switches_messages_at_call_time() -> None:
    with language("en"):
        assert current_language() == "en"
        assert _("Unit") == "Unit"
        assert ngettext("{n} error", "{n} errors", 2).format(n=2) == "2 errors"
        with language("vi"):
            assert _("Unit") == "Đơn vị"
            assert ngettext("{n} error", "{n} errors", 2).format(n=2) == "2 lỗi"
        assert current_language() == "en"


def test_catalogue_compiled_from_the_po_when_the_mo_is_missing(tmp_path: Path,
                                                              monkeypatch) -> None:
    folder = tmp_path / "vi" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(PO, folder / PO.name)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    with language("vi"):
        assert _("Unusable input data:") == "Lỗi dữ liệu đầu vào:"


# ------------------------------------------------------------------------ the catalogue


def _marked_messages() -> set[str]:
    """Every msgid the code marks, as ``pybabel extract -F babel.cfg`` finds them."""
    found = extract_from_dir(str(PACKAGE), method_map=[("**.py", "python")])
    return {message if isinstance(message, str) else message[0]
            for _file, _line, message, _comments, _context in found}


def _catalogue() -> dict[str, str | tuple[str, ...]]:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    for message in catalog:
        assert not message.fuzzy or not message.id, f"fuzzy translation: {message.id!r}"
    return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}


def test_every_marked_message_has_a_vietnamese_translation() -> None:
    marked = _marked_messages()
    assert len(marked) > 50
    translations = _catalogue()
    missing = sorted(m for m in marked if not translations.get(m))
    assert not missing, ("untranslated; run the README's pybabel extract/update, translate, "
                         f"compile: {missing}")
    for message, text in translations.items():
        forms = text if isinstance(text, tuple) else (text,)
        assert all(forms), f"empty translation of {message!r}"


def test_translations_keep_the_placeholders() -> None:
    field = re.compile(r"\{[^{}]*\}")
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="vi")
    for message in catalog:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[-1]
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            assert sorted(field.findall(form)) == sorted(field.findall(source)), message.id


def test_committed_mo_is_the_compiled_po() -> None:
    """``pybabel compile -d lib/briefkit/locale -D briefkit`` was run after the last edit."""
    def same(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    with PO.open("rb") as handle:
        po = {same(m.id): same(m.string) for m in read_po(handle, locale="vi") if m.id}
    mo = {same(m.id): same(m.string) for m in read_mo(io.BytesIO(MO.read_bytes())) if m.id}
    assert mo == po


# ------------------------------------------------------------------------ the command line


def test_help_is_vietnamese_by_default() -> None:
    done = briefkit("--help", lang="C.UTF-8")
    assert done.returncode == 0, done.stderr
    text = flat(done)
    assert "Tính các chỉ tiêu cho từng đơn vị" in text
    assert "Tùy chọn" in text and "Lệnh" in text
    assert "Compute every KPI" not in text


def test_help_is_english_when_the_locale_asks() -> None:
    done = briefkit("--help", lang="en_US.UTF-8")
    assert done.returncode == 0, done.stderr
    text = flat(done)
    assert "Compute every KPI for every unit and roll-up" in text
    assert "Options" in text and "Commands" in text
    assert "Tính các chỉ tiêu" not in text


def test_kpis_help_in_both_languages() -> None:
    vietnamese = flat(briefkit("kpis", "--help"))
    assert "Thư mục dữ liệu gồm units, procedures, dossiers" in vietnamese
    assert "[bắt buộc]" in vietnamese and "quý IV/2023" in vietnamese
    english = flat(briefkit("kpis", "--help", lang="en_US.UTF-8"))
    assert "Folder with units, procedures, dossiers" in english and "[required]" in english


def test_missing_data_folder_in_both_languages(tmp_path: Path) -> None:
    args = ("kpis", "--data", str(tmp_path / "nope"), "--period", "quý I/2022", "--out",
            str(tmp_path / "out"))
    vietnamese = briefkit(*args, lang="C.UTF-8")
    assert vietnamese.returncode == 2
    assert "Lỗi dữ liệu đầu vào:" in vietnamese.stderr
    assert "1 lỗi; không có gì được ghi." in vietnamese.stderr
    english = briefkit(*args, lang="en_US.UTF-8")
    assert english.returncode == 2
    assert "Unusable input data:" in english.stderr
    assert "1 error; nothing was written." in english.stderr
    assert not (tmp_path / "out").exists()


def test_bad_period_names_the_accepted_forms_in_the_current_language(tmp_path: Path,
                                                                     data: Path) -> None:
    args = ("kpis", "--data", str(data), "--period", "quý V/2022", "--out", str(tmp_path))
    vietnamese = flat(briefkit(*args))
    assert "Kỳ 'quý V/2022': quý phải từ I đến IV" in vietnamese
    english = flat(briefkit(*args, lang="en_US.UTF-8"))
    assert "Period 'quý V/2022': quarter must be Q1–Q4, got V" in english
    unknown = flat(briefkit("kpis", "--data", str(data), "--period", "quý trước", "--out",
                            str(tmp_path)))
    assert "Không đọc được kỳ báo cáo" in unknown and '"6 tháng đầu năm 2022"' in unknown


def test_kpis_with_a_vietnamese_period_and_no_targets(tmp_path: Path, data: Path) -> None:
    done = briefkit("kpis", "--data", str(data), "--period", "quý I/2022", "--out",
                    str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    text = flat(done)
    assert "Chỉ tiêu — quý I/2022 (2022Q1, calendar)" in text
    assert "Phòng Tư pháp (TP)" in text
    assert ("Lưu ý: không có chỉ tiêu kế hoạch (--targets) nên không chỉ tiêu nào được đánh "
            "giá đạt hay chưa đạt") in text
    assert "nằm ngoài" not in text  # the data cover the quarter
    kpis = (tmp_path / "out" / "2022Q1" / "kpis.csv").read_text(encoding="utf-8")
    assert "khong_ap_dung" in kpis and ",dat" not in kpis
    assert f"Đã ghi {tmp_path / 'out' / '2022Q1' / 'kpis.csv'}" in done.stdout


def test_kpis_with_targets_has_no_note(tmp_path: Path, data: Path) -> None:
    targets = tmp_path / "t.yaml"
    targets.write_text("2022:\n  online_rate: 0.6\n", encoding="utf-8")
    done = briefkit("kpis", "--data", str(data), "--period", "6 tháng đầu năm 2022",
                    "--targets", str(targets), "--out", str(tmp_path / "out"), "--quiet",
                    lang="en_US.UTF-8")
    assert done.returncode == 0, done.stderr
    assert "no targets" not in done.stderr
    assert (tmp_path / "out" / "2022H1" / "kpis.csv").is_file()


def test_period_outside_the_data_is_a_warning_naming_their_range(tmp_path: Path,
                                                                 data: Path) -> None:
    args = ("kpis", "--data", str(data), "--period", "quý IV/2023", "--out",
            str(tmp_path / "out"), "--quiet")
    vietnamese = briefkit(*args)
    assert vietnamese.returncode == 0, vietnamese.stderr
    assert ("cảnh báo: kỳ quý IV/2023 (01/10/2023 – 31/12/2023) nằm ngoài khoảng thời gian "
            "của dữ liệu (từ 05/01/2021 đến 30/06/2022)") in flat(vietnamese)
    english = briefkit(*args, lang="en_US.UTF-8")
    assert ("warning: the period quý IV/2023 (2023-10-01 – 2023-12-31) lies outside the data, "
            "which run from 2021-01-05 to 2022-06-30") in flat(english)
    assert (tmp_path / "out" / "2023Q4" / "kpis.csv").is_file()  # a warning, not an error


# ------------------------------------------------------------------------ coverage


@pytest.mark.parametrize(("spec", "outside"), [
    ("2021Q1", False), ("2022-06", False), ("2020-12", True), ("2022-07", True),
    ("2020-06..2021-01", False), ("2023", True),
])
def test_outside_data(spec: str, outside: bool) -> None:
    import datetime as dt

    span = DataSpan(dt.date(2021, 1, 5), dt.date(2022, 6, 30))
    with language("en"):
        message = outside_data(parse_period(spec), span)
    assert (message is not None) == outside
    assert outside_data(parse_period(spec), None) is None


def test_data_span_of_dossiers_and_aggregates() -> None:
    import datetime as dt

    from briefkit.coverage import data_span

    span = data_span(kpi_fixture.dataset())
    assert span is not None and span.first == dt.date(2021, 1, 5)
    assert DataSpan.from_list(span.as_list()) == span
    assert DataSpan.from_list(None) is None
