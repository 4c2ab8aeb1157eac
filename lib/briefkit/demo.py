"""Deterministic, realistic demo data: a fictional urban district and its dossiers.

The demo data lets people try briefkit, lets the notebooks and reports show real-looking
patterns, and gives the KPI code something big enough to be timed. Everything a briefing
talks about is in it on purpose: the online share rising quarter by quarter, units above
and below the 84,47 % target of 2022, late dossiers without an apology letter, dossiers
still open and overdue at the end of each quarter, postal filings, inter-agency dossiers,
two wards that only report Biểu 06 counts, a procedure catalogue that mixes the old
"mức độ 2/3/4" vocabulary with the Decree 42/2022 one.

The world (units, procedures, rates) is module-level data below, so it is easy to read
and to change; the seed only drives the random draws. All draws come from
:func:`numpy.random.default_rng` streams derived from the seed, so the same arguments
give byte-identical files (the tests check it). Generation is vectorised over dossiers.

``generate(..., wards=92)`` makes a larger district (100 briefed units instead of 22) for
benchmarks: the 14 wards below plus generated ones in the same pattern; with
``n_dossiers=dossiers_for(92)`` every unit is as busy as in the default world.

Units, procedure names and codes are fictional but in the national format: do not read
them as the real national catalogue.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_WARDS", "TABLE_COLUMNS", "dossiers_for", "generate"]

# --------------------------------------------------------------------------------------
# The output files and their columns (data contract v1, snake_case names)
# --------------------------------------------------------------------------------------

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("unit_id", "name", "kind", "level", "parent_id", "fields"),
    "procedures": ("procedure_id", "name", "field", "level", "online_level"),
    "dossiers": (
        "dossier_id", "unit_id", "procedure_id", "channel", "received_at", "due_at",
        "resolved_at", "returned_by_post", "apology_sent", "inter_agency",
    ),
    "aggregates": (
        "unit_id", "period", "received_online", "received_direct_or_postal", "carried_over",
        "resolved_early", "resolved_on_time", "resolved_late", "pending_in_time",
        "pending_overdue", "resolved_online", "received_postal", "returned_by_post",
        "apology_sent",
    ),
    "documents": ("document_id", "unit_id", "sent_at", "electronic", "digitally_signed"),
}

CHANNEL_DIRECT, CHANNEL_ONLINE, CHANNEL_POSTAL = "truc_tiep", "truc_tuyen", "buu_chinh"
CHANNELS = (CHANNEL_DIRECT, CHANNEL_ONLINE, CHANNEL_POSTAL)
# Simulated dossiers carry the channel as an index into CHANNELS.
DIRECT = CHANNELS.index(CHANNEL_DIRECT)
ONLINE = CHANNELS.index(CHANNEL_ONLINE)
POSTAL = CHANNELS.index(CHANNEL_POSTAL)

# --------------------------------------------------------------------------------------
# Units: a fictional district (Quận 13), 8 departments and 14 wards
# --------------------------------------------------------------------------------------

DISTRICT_ID = "UBND"
DOSSIER_ID_PROVINCE = "H12"  # province prefix of dossier ids, as in "H12.21-210104-0001"


@dataclass(frozen=True)
class UnitSpec:
    """One unit of the fake district and how it behaves.

    ``online_propensity`` shifts the unit's online uptake in logit points (0 = district
    trend); ``volume`` scales the dossiers of a ward (population); rates are per dossier.
    """

    unit_id: str
    name: str
    kind: str
    level: str
    agency_code: str  # two digits in the dossier id: H12.<agency_code>-YYMMDD-NNNN
    fields: tuple[str, ...] = ()
    volume: float = 1.0
    online_propensity: float = 0.0
    postal_share: float = 0.02
    late_rate: float = 0.02
    apology_rate: float = 0.7
    documents_per_year: int = 150
    documents_electronic_rate: float = 0.99
    documents_signed_rate: float = 0.98
    aggregate_only: bool = False  # reports Biểu 06 counts only: no dossiers.csv rows
    resolves_dossiers: bool = True

    @property
    def parent_id(self) -> str:
        return "" if self.unit_id == DISTRICT_ID else DISTRICT_ID


def _department(
    unit_id: str, name: str, agency_code: str, fields: Sequence[str], **behaviour: Any
) -> UnitSpec:
    """A district department (phòng ban): resolves district-level procedures of its fields."""
    return UnitSpec(unit_id, name, "phong_ban", "huyen", agency_code, tuple(fields), **behaviour)


def _ward(unit_id: str, number: int, agency_code: str, **behaviour: Any) -> UnitSpec:
    """A ward (phường): resolves every ward-level procedure, so it has no fields."""
    return UnitSpec(unit_id, f"UBND Phường {number}", "phuong_xa", "xa", agency_code, **behaviour)


UNITS: tuple[UnitSpec, ...] = (
    # The People's Committee resolves no dossier itself (its departments and wards do):
    # it is the parent of the roll-up and the main sender of official documents.
    UnitSpec(DISTRICT_ID, "UBND Quận 13", "ubnd", "huyen", "20", resolves_dossiers=False,
             documents_per_year=1400, documents_signed_rate=1.0),
    _department("TP", "Phòng Tư pháp", "21", ("Hộ tịch", "Chứng thực"),
                online_propensity=0.55, late_rate=0.013, apology_rate=0.85,
                documents_per_year=260),
    _department("TNMT", "Phòng Tài nguyên và Môi trường", "22", ("Đất đai", "Môi trường"),
                online_propensity=-0.75, late_rate=0.034, apology_rate=0.55, postal_share=0.05,
                documents_per_year=420, documents_signed_rate=0.86),
    _department("QLDT", "Phòng Quản lý đô thị", "23",
                ("Xây dựng", "Quy hoạch xây dựng, kiến trúc", "Đường bộ"),
                online_propensity=-0.45, late_rate=0.032, apology_rate=0.62,
                documents_per_year=380),
    _department("LDTBXH", "Phòng Lao động - Thương binh và Xã hội", "24",
                ("Bảo trợ xã hội", "Người có công", "Trẻ em"),
                online_propensity=-0.55, late_rate=0.022, apology_rate=0.75, postal_share=0.06,
                documents_per_year=300),
    _department("KT", "Phòng Kinh tế", "25",
                ("Đăng ký kinh doanh", "Lưu thông hàng hóa trong nước", "An toàn thực phẩm"),
                online_propensity=0.85, late_rate=0.012, apology_rate=0.8,
                documents_per_year=240),
    _department("VHTT", "Phòng Văn hóa và Thông tin", "26", ("Văn hóa", "Gia đình"),
                online_propensity=0.2, late_rate=0.015, apology_rate=0.7,
                documents_per_year=180),
    _department("GDDT", "Phòng Giáo dục và Đào tạo", "27", ("Giáo dục và Đào tạo",),
                online_propensity=0.1, late_rate=0.018, apology_rate=0.7,
                documents_per_year=350, documents_electronic_rate=0.93),
    _department("NV", "Phòng Nội vụ", "28",
                ("Thi đua - Khen thưởng", "Tôn giáo", "Tổ chức phi chính phủ",
                 "Công chức, viên chức"),
                online_propensity=0.0, late_rate=0.015, apology_rate=0.8,
                documents_per_year=320),
    # Wards: 5-digit administrative codes kept as text (several start with a 0).
    _ward("09868", 1, "31", volume=1.30, online_propensity=0.45, late_rate=0.012),
    _ward("09871", 2, "32", volume=0.85, online_propensity=-0.35, late_rate=0.025,
          apology_rate=0.6),
    _ward("09874", 3, "33", volume=1.10, online_propensity=0.15),
    _ward("09877", 4, "34", volume=0.70, online_propensity=-0.65, late_rate=0.035,
          apology_rate=0.4, postal_share=0.05, documents_electronic_rate=0.9,
          documents_signed_rate=0.8),
    _ward("09880", 5, "35", volume=1.45, online_propensity=0.7, late_rate=0.010),
    _ward("09883", 6, "36", volume=0.95, online_propensity=-0.1),
    _ward("09886", 7, "37", volume=0.80, online_propensity=-0.2, aggregate_only=True),
    _ward("09889", 8, "38", volume=1.20, online_propensity=0.3, late_rate=0.015),
    _ward("09892", 9, "39", volume=0.60, online_propensity=-0.45, late_rate=0.030,
          apology_rate=0.65),
    _ward("10003", 10, "40", volume=1.00, online_propensity=0.05),
    _ward("10006", 11, "41", volume=1.15, online_propensity=0.6, late_rate=0.012),
    _ward("10009", 12, "42", volume=0.75, online_propensity=-0.25, late_rate=0.028),
    _ward("10012", 13, "43", volume=0.90, online_propensity=0.25),
    _ward("10015", 14, "44", volume=0.65, online_propensity=0.1, aggregate_only=True),
)

DEFAULT_WARDS = 14  # the wards above; generate(wards=N) adds N - 14 more (a larger world)

# Extra wards (generate(wards=N), N > 14) continue the pattern: "UBND Phường 15", ...,
# ward codes 3 apart after 10015 (10018, 10021, ...), the two-digit agency codes left
# unused in dossier ids (then three-digit ones, past 91 wards), every 7th ward reporting
# Biểu 06 counts only (like wards 7 and 14). Their behaviour is drawn once from a fixed
# stream, so the world does not depend on the seed either; values are rounded like the
# hand-written ones above.
EXTRA_WARD_ID_STEP = 3
AGGREGATE_ONLY_EVERY = 7
EXTRA_WARD_BEHAVIOUR_SEED = 13  # Quận 13
MAX_WARD_ID = 99_999  # ward codes have five digits


def _free_agency_codes(taken: set[str]) -> Iterator[str]:
    """Agency codes not used by the default world: 45-99, 10-19, 29-30, 00-09, then 100..."""
    two_digit = [*range(45, 100), *range(10, 20), 29, 30, *range(0, 10)]
    for number in two_digit:
        if f"{number:02d}" not in taken:
            yield f"{number:02d}"
    yield from (str(number) for number in itertools.count(100))


def _world(wards: int) -> tuple[UnitSpec, ...]:
    """The district with ``wards`` wards: UNITS itself for the default 14, UNITS plus
    generated wards 15..``wards`` otherwise."""
    if wards < DEFAULT_WARDS:
        raise ValueError(f"wards must be at least {DEFAULT_WARDS} (the default world's)")
    last_ward = UNITS[-1]
    if int(last_ward.unit_id) + EXTRA_WARD_ID_STEP * (wards - DEFAULT_WARDS) > MAX_WARD_ID:
        raise ValueError(f"too many wards ({wards}) for five-digit ward codes")
    codes = _free_agency_codes({u.agency_code for u in UNITS})
    extra = []
    for number in range(DEFAULT_WARDS + 1, wards + 1):
        rng = np.random.default_rng([EXTRA_WARD_BEHAVIOUR_SEED, number])
        propensity = float(np.clip(rng.normal(0.0, 0.4), -0.8, 0.8))
        # Wards slow to go online also tend to be late more often (as in the default world).
        late_rate = float(np.clip(0.02 - 0.012 * propensity + rng.normal(0.0, 0.004), 0.008, 0.04))
        unit_id = f"{int(last_ward.unit_id) + EXTRA_WARD_ID_STEP * (number - DEFAULT_WARDS):05d}"
        extra.append(_ward(
            unit_id, number, next(codes),
            volume=round(float(np.clip(np.exp(rng.normal(0.0, 0.3)), 0.5, 1.6)), 2),
            online_propensity=round(propensity, 2),
            late_rate=round(late_rate, 3),
            apology_rate=round(float(rng.uniform(0.4, 0.85)), 2),
            postal_share=0.05 if propensity < -0.5 else 0.02,
            aggregate_only=number % AGGREGATE_ONLY_EVERY == 0,
        ))
    return UNITS + tuple(extra)


# --------------------------------------------------------------------------------------
# Procedures: (code, online level 2/3/4, yearly dossiers at one unit, working days, name)
# grouped by (level, field). Names are shortened catalogue names; codes are fictional.
# --------------------------------------------------------------------------------------

ProcedureRow = tuple[str, int, float, int, str]

PROCEDURE_CATALOGUE: dict[tuple[str, str], tuple[ProcedureRow, ...]] = {
    ("huyen", "Hộ tịch"): (
        ("2.000528", 4, 40, 10, "Đăng ký khai sinh có yếu tố nước ngoài"),
        ("2.000806", 3, 30, 15, "Đăng ký kết hôn có yếu tố nước ngoài"),
        ("2.000779", 3, 8, 3, "Đăng ký khai tử có yếu tố nước ngoài"),
        ("2.000748", 3, 60, 3,
         "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc"),
        ("1.001766", 3, 25, 5,
         "Ghi vào Sổ hộ tịch việc kết hôn của công dân Việt Nam đã được giải quyết "
         "tại cơ quan có thẩm quyền của nước ngoài"),
        ("1.001669", 2, 15, 5,
         "Ghi vào Sổ hộ tịch việc ly hôn, hủy việc kết hôn của công dân Việt Nam đã được "
         "giải quyết tại cơ quan có thẩm quyền của nước ngoài"),
        ("2.000756", 3, 4, 15, "Đăng ký nhận cha, mẹ, con có yếu tố nước ngoài"),
        ("1.001695", 3, 6, 5,
         "Ghi vào Sổ hộ tịch việc khai sinh của công dân Việt Nam đã được giải quyết "
         "tại cơ quan có thẩm quyền của nước ngoài"),
        ("2.000554", 2, 2, 5, "Đăng ký giám hộ có yếu tố nước ngoài"),
        ("1.004230", 3, 10, 5, "Đăng ký lại kết hôn có yếu tố nước ngoài"),
    ),
    ("huyen", "Chứng thực"): (
        ("2.000815", 3, 900, 0,
         "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm "
         "quyền của nước ngoài cấp hoặc chứng nhận"),
        ("2.000843", 3, 500, 0,
         "Chứng thực chữ ký người dịch mà người dịch là cộng tác viên dịch thuật "
         "của Phòng Tư pháp"),
        ("2.000992", 3, 120, 0,
         "Chứng thực chữ ký người dịch mà người dịch không phải là cộng tác viên dịch thuật"),
        ("2.000876", 3, 400, 0, "Chứng thực chữ ký trong các giấy tờ, văn bản (cấp huyện)"),
        ("2.001035", 2, 60, 2,
         "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản"),
        ("2.001019", 2, 20, 2, "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch"),
        ("2.000942", 3, 40, 2,
         "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực"),
        ("2.001008", 2, 15, 2,
         "Chứng thực văn bản thỏa thuận phân chia di sản mà di sản là động sản"),
    ),
    ("huyen", "Đất đai"): (
        ("1.004227", 3, 500, 30,
         "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất "
         "lần đầu"),
        ("2.000880", 3, 2200, 10,
         "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất do "
         "chuyển nhượng, tặng cho, thừa kế"),
        ("1.004203", 3, 700, 7,
         "Cấp đổi Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác "
         "gắn liền với đất"),
        ("1.004217", 3, 150, 10, "Cấp lại Giấy chứng nhận do bị mất"),
        ("2.001990", 3, 80, 10, "Đính chính Giấy chứng nhận đã cấp"),
        ("1.004221", 3, 180, 15, "Tách thửa hoặc hợp thửa đất"),
        ("1.003003", 2, 90, 15,
         "Chuyển mục đích sử dụng đất phải được phép của cơ quan nhà nước có thẩm quyền"),
        ("1.004269", 3, 30, 10, "Đăng ký chuyển mục đích sử dụng đất không phải xin phép"),
        ("1.004205", 4, 1200, 3, "Đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất"),
        ("1.004199", 4, 900, 1,
         "Xóa đăng ký thế chấp quyền sử dụng đất, tài sản gắn liền với đất"),
        ("1.004206", 4, 500, 3, "Cung cấp thông tin, dữ liệu đất đai"),
        ("1.004194", 3, 120, 7,
         "Đăng ký biến động do thay đổi thông tin về người sử dụng đất, số hiệu thửa, "
         "diện tích, địa chỉ"),
        ("1.004177", 3, 30, 10, "Gia hạn sử dụng đất ngoài khu công nghệ cao, khu kinh tế"),
        ("1.002273", 2, 3, 10,
         "Xác nhận tiếp tục sử dụng đất nông nghiệp của hộ gia đình, cá nhân khi hết hạn "
         "sử dụng đất"),
        ("1.003008", 2, 12, 45,
         "Giải quyết tranh chấp đất đai thuộc thẩm quyền của Chủ tịch Ủy ban nhân dân "
         "cấp huyện"),
        ("1.002255", 2, 6, 20, "Thu hồi đất do người sử dụng đất tự nguyện trả lại đất"),
    ),
    ("huyen", "Môi trường"): (
        ("1.004138", 3, 25, 10, "Xác nhận đăng ký kế hoạch bảo vệ môi trường"),
        ("1.010735", 3, 15, 15, "Đăng ký môi trường"),
        ("1.010736", 2, 5, 20, "Cấp giấy phép môi trường (cấp huyện)"),
    ),
    ("huyen", "Xây dựng"): (
        ("1.009994", 3, 900, 15, "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"),
        ("1.009990", 3, 60, 15, "Cấp giấy phép xây dựng có thời hạn đối với nhà ở riêng lẻ"),
        ("1.009995", 3, 80, 15,
         "Cấp giấy phép xây dựng sửa chữa, cải tạo đối với nhà ở riêng lẻ"),
        ("1.009996", 3, 40, 15, "Điều chỉnh giấy phép xây dựng đối với nhà ở riêng lẻ"),
        ("1.009997", 3, 30, 5, "Gia hạn giấy phép xây dựng"),
        ("1.009998", 3, 20, 5, "Cấp lại giấy phép xây dựng"),
        ("1.009992", 3, 20, 20, "Cấp giấy phép xây dựng đối với công trình cấp III, cấp IV"),
        ("1.009999", 2, 3, 15, "Cấp giấy phép di dời công trình"),
        ("1.010000", 2, 10, 20, "Thẩm định Báo cáo kinh tế - kỹ thuật đầu tư xây dựng"),
    ),
    ("huyen", "Quy hoạch xây dựng, kiến trúc"): (
        ("1.008432", 4, 350, 7,
         "Cung cấp thông tin về quy hoạch xây dựng thuộc thẩm quyền của Ủy ban nhân dân "
         "cấp huyện"),
        ("1.008455", 2, 4, 20,
         "Thẩm định nhiệm vụ, đồ án quy hoạch chi tiết xây dựng của dự án đầu tư xây dựng"),
        ("1.008891", 3, 12, 15, "Cấp giấy phép quy hoạch dự án đầu tư xây dựng"),
    ),
    ("huyen", "Đường bộ"): (
        ("1.001060", 3, 250, 3,
         "Cấp phép sử dụng tạm thời một phần lòng đường, hè phố không vào mục đích "
         "giao thông"),
        ("1.001046", 2, 25, 7,
         "Cấp phép thi công công trình đường bộ trên tuyến đường do cấp huyện quản lý"),
    ),
    ("huyen", "Đăng ký kinh doanh"): (
        ("1.001612", 4, 1300, 3, "Đăng ký thành lập hộ kinh doanh"),
        ("2.000720", 4, 700, 3, "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh"),
        ("2.000575", 4, 250, 3, "Tạm ngừng hoạt động hộ kinh doanh"),
        ("2.000386", 4, 350, 3, "Chấm dứt hoạt động hộ kinh doanh"),
        ("1.001570", 4, 60, 3, "Cấp lại Giấy chứng nhận đăng ký hộ kinh doanh"),
        ("1.005280", 3, 8, 5, "Đăng ký thành lập hợp tác xã"),
    ),
    ("huyen", "Lưu thông hàng hóa trong nước"): (
        ("2.000620", 3, 60, 10, "Cấp Giấy phép bán lẻ rượu"),
        ("2.000633", 3, 12, 10, "Cấp sửa đổi, bổ sung Giấy phép bán lẻ rượu"),
        ("2.000181", 3, 8, 10, "Cấp lại Giấy phép bán lẻ rượu"),
        ("2.000162", 3, 20, 10, "Cấp Giấy phép bán lẻ sản phẩm thuốc lá"),
        ("2.000150", 3, 4, 10, "Cấp lại Giấy phép bán lẻ sản phẩm thuốc lá"),
        ("2.001240", 2, 3, 10,
         "Cấp Giấy phép sản xuất rượu thủ công nhằm mục đích kinh doanh"),
    ),
    ("huyen", "An toàn thực phẩm"): (
        ("2.000591", 3, 40, 15,
         "Cấp Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đối với cơ sở kinh doanh "
         "dịch vụ ăn uống"),
        ("2.000596", 3, 10, 15,
         "Cấp lại Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm"),
    ),
    ("huyen", "Bảo trợ xã hội"): (
        ("1.001776", 3, 300, 10,
         "Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng, hỗ trợ kinh phí "
         "chăm sóc, nuôi dưỡng hằng tháng"),
        ("2.000286", 3, 80, 5, "Hỗ trợ chi phí mai táng cho đối tượng bảo trợ xã hội"),
        ("1.001731", 3, 60, 7,
         "Chi trả trợ cấp xã hội hằng tháng khi đối tượng thay đổi nơi cư trú"),
        ("2.000477", 2, 5, 10,
         "Tiếp nhận đối tượng bảo trợ xã hội có hoàn cảnh đặc biệt khó khăn vào cơ sở trợ "
         "giúp xã hội cấp huyện"),
        ("1.001653", 2, 10, 20, "Trợ giúp xã hội khẩn cấp về hỗ trợ làm nhà ở, sửa chữa nhà ở"),
    ),
    ("huyen", "Người có công"): (
        ("1.010801", 3, 40, 12, "Giải quyết chế độ trợ cấp thờ cúng liệt sĩ"),
        ("1.010822", 3, 60, 12,
         "Giải quyết chế độ mai táng phí, trợ cấp một lần khi người có công với cách mạng "
         "từ trần"),
        ("1.010829", 3, 25, 5,
         "Cấp giấy giới thiệu đi thăm viếng mộ liệt sĩ và hỗ trợ thăm viếng mộ liệt sĩ"),
    ),
    ("huyen", "Trẻ em"): (
        ("2.001947", 2, 3, 10,
         "Áp dụng các biện pháp can thiệp khẩn cấp hoặc tạm thời cách ly trẻ em khỏi môi "
         "trường hoặc người gây tổn hại cho trẻ em"),
        ("1.004946", 2, 2, 10,
         "Chuyển trẻ em đang được chăm sóc thay thế tại cơ sở trợ giúp xã hội đến cá nhân, "
         "gia đình nhận chăm sóc thay thế"),
    ),
    ("huyen", "Giáo dục và Đào tạo"): (
        ("1.005099", 3, 250, 3, "Chuyển trường đối với học sinh trung học cơ sở"),
        ("1.005097", 3, 60, 3, "Xin học lại tại trường khác đối với học sinh trung học cơ sở"),
        ("1.005092", 2, 2, 5, "Tiếp nhận học sinh trung học cơ sở Việt Nam về nước"),
        ("2.001914", 3, 90, 5, "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc"),
        ("2.001905", 2, 15, 5, "Chỉnh sửa nội dung văn bằng, chứng chỉ"),
        ("1.004494", 2, 4, 20,
         "Cho phép trường mầm non, trường mẫu giáo, nhà trẻ hoạt động giáo dục"),
        ("1.004545", 2, 3, 20,
         "Thành lập trường tiểu học công lập, cho phép thành lập trường tiểu học tư thục"),
        ("1.004443", 2, 2, 20, "Sáp nhập, chia, tách trường trung học cơ sở"),
        ("1.001000", 2, 6, 15, "Công nhận phường đạt chuẩn phổ cập giáo dục, xóa mù chữ"),
    ),
    ("huyen", "Văn hóa"): (
        ("1.001029", 3, 40, 5, "Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke"),
        ("1.001008", 3, 15, 5,
         "Cấp Giấy phép điều chỉnh Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke"),
        ("1.003622", 2, 6, 10, "Thông báo tổ chức lễ hội cấp huyện"),
        ("2.001250", 3, 50, 5, "Xét tặng danh hiệu Khu phố văn hóa"),
    ),
    ("huyen", "Gia đình"): (
        ("1.001120", 2, 2, 15,
         "Cấp Giấy chứng nhận đăng ký hoạt động cơ sở hỗ trợ nạn nhân bạo lực gia đình"),
        ("1.001106", 2, 1, 15,
         "Cấp Giấy chứng nhận đăng ký hoạt động cơ sở tư vấn về phòng, chống bạo lực gia đình"),
    ),
    ("huyen", "Thi đua - Khen thưởng"): (
        ("1.000775", 3, 60, 20,
         "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp huyện về thực hiện nhiệm vụ "
         "chính trị"),
        ("1.000748", 2, 25, 20,
         "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp huyện về thành tích đột xuất"),
        ("1.000843", 3, 40, 20, "Tặng danh hiệu Lao động tiên tiến"),
        ("1.000804", 2, 20, 20, "Tặng danh hiệu Chiến sĩ thi đua cơ sở"),
    ),
    ("huyen", "Tôn giáo"): (
        ("1.001090", 3, 6, 15,
         "Đăng ký người được bổ nhiệm, bầu cử, suy cử làm chức việc của tổ chức tôn giáo"),
        ("1.001055", 3, 8, 15,
         "Thông báo tổ chức quyên góp ngoài địa bàn một xã nhưng trong địa bàn một huyện"),
        ("1.001078", 2, 4, 30,
         "Đề nghị tổ chức cuộc lễ ngoài cơ sở tôn giáo có quy mô tổ chức ở một huyện"),
        ("2.000910", 2, 3, 20,
         "Đăng ký sửa đổi hiến chương của tổ chức tôn giáo có địa bàn hoạt động ở một huyện"),
    ),
    ("huyen", "Tổ chức phi chính phủ"): (
        ("1.003822", 2, 2, 30,
         "Công nhận ban vận động thành lập hội có phạm vi hoạt động trong huyện"),
        ("1.003900", 2, 2, 30, "Phê duyệt điều lệ hội có phạm vi hoạt động trong huyện"),
    ),
    ("huyen", "Công chức, viên chức"): (
        ("1.005384", 3, 30, 30, "Xét tuyển viên chức"),
        ("1.005385", 2, 4, 15, "Xét chuyển cơ quan đối với viên chức"),
    ),
    ("xa", "Hộ tịch"): (
        ("1.001193", 4, 320, 0, "Đăng ký khai sinh"),
        ("1.000894", 4, 110, 0, "Đăng ký kết hôn"),
        ("1.000656", 4, 90, 0, "Đăng ký khai tử"),
        ("1.004873", 4, 450, 3, "Cấp Giấy xác nhận tình trạng hôn nhân"),
        ("2.000635", 4, 380, 0, "Cấp bản sao Trích lục hộ tịch"),
        ("1.004859", 3, 45, 3, "Đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch"),
        ("1.001022", 3, 12, 3, "Đăng ký nhận cha, mẹ, con"),
        ("1.000689", 3, 8, 3, "Đăng ký khai sinh kết hợp nhận cha, mẹ, con"),
        ("1.004837", 3, 3, 3, "Đăng ký giám hộ"),
        ("1.004845", 3, 2, 2, "Đăng ký chấm dứt giám hộ"),
        ("1.004884", 3, 18, 5, "Đăng ký lại khai sinh"),
        ("1.004746", 3, 6, 5, "Đăng ký lại kết hôn"),
        ("1.005461", 3, 3, 5, "Đăng ký lại khai tử"),
        ("1.004772", 3, 14, 3, "Đăng ký khai sinh cho người đã có hồ sơ, giấy tờ cá nhân"),
        ("1.003583", 2, 2, 5, "Đăng ký khai sinh lưu động"),
        ("1.000593", 2, 1, 5, "Đăng ký kết hôn lưu động"),
        ("2.002165", 4, 90, 5,
         "Liên thông đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ "
         "em dưới 6 tuổi"),
        ("2.002166", 4, 40, 5,
         "Liên thông đăng ký khai tử, xóa đăng ký thường trú, hưởng chế độ tử tuất, hỗ trợ "
         "chi phí mai táng"),
    ),
    ("xa", "Nuôi con nuôi"): (
        ("1.003005", 2, 1, 30, "Đăng ký việc nuôi con nuôi trong nước"),
        ("1.003976", 2, 1, 15, "Đăng ký lại việc nuôi con nuôi trong nước"),
    ),
    ("xa", "Chứng thực"): (
        ("2.000908", 3, 1700, 0,
         "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm "
         "quyền của Việt Nam cấp hoặc chứng nhận"),
        ("2.000884", 3, 450, 0,
         "Chứng thực chữ ký trong các giấy tờ, văn bản (áp dụng cho cả trường hợp chứng "
         "thực điểm chỉ)"),
        ("2.001044", 3, 150, 2,
         "Chứng thực hợp đồng, giao dịch liên quan đến tài sản là động sản, quyền sử dụng "
         "đất và nhà ở"),
        ("2.001016", 2, 20, 2, "Chứng thực di chúc"),
        ("2.001009", 2, 8, 2, "Chứng thực văn bản từ chối nhận di sản"),
        ("2.000913", 3, 35, 2,
         "Chứng thực văn bản thỏa thuận phân chia di sản mà di sản là quyền sử dụng đất, "
         "nhà ở"),
        ("2.001406", 3, 20, 2,
         "Chứng thực văn bản khai nhận di sản mà di sản là quyền sử dụng đất, nhà ở"),
        ("2.000927", 2, 6, 2, "Sửa lỗi sai sót trong hợp đồng, giao dịch"),
        ("2.000932", 3, 30, 2,
         "Cấp bản sao có chứng thực từ bản chính hợp đồng, giao dịch đã được chứng thực"),
        ("2.001050", 2, 10, 2, "Chứng thực việc sửa đổi, bổ sung, hủy bỏ hợp đồng, giao dịch"),
    ),
    ("xa", "Bảo trợ xã hội"): (
        ("1.001699", 3, 35, 20,
         "Xác định, xác định lại mức độ khuyết tật và cấp Giấy xác nhận khuyết tật"),
        ("1.000489", 3, 8, 5, "Đổi, cấp lại Giấy xác nhận khuyết tật"),
        ("2.000751", 2, 3, 10,
         "Đăng ký hoạt động đối với cơ sở trợ giúp xã hội dưới 10 đối tượng có hoàn cảnh "
         "khó khăn"),
        ("1.001310", 3, 10, 7, "Trợ giúp xã hội khẩn cấp về hỗ trợ chi phí mai táng"),
    ),
    ("xa", "Người có công"): (
        ("1.010830", 3, 6, 5, "Xác nhận vào đơn đề nghị di chuyển hài cốt liệt sĩ"),
        ("1.010831", 2, 4, 5, "Cấp giấy xác nhận thân nhân của người có công"),
    ),
    ("xa", "Đất đai"): (
        ("1.003554", 2, 10, 45, "Hòa giải tranh chấp đất đai"),
        ("1.002962", 3, 6, 10,
         "Xác nhận đơn đề nghị cấp Giấy chứng nhận quyền sử dụng đất của hộ gia đình, cá nhân"),
    ),
    ("xa", "Thi đua - Khen thưởng"): (
        ("2.000346", 2, 10, 10,
         "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã về thực hiện nhiệm vụ chính trị"),
        ("2.000337", 2, 8, 10,
         "Tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã về thành tích đột xuất"),
    ),
    ("xa", "Văn hóa"): (
        ("2.000305", 2, 10, 10, "Xét tặng danh hiệu Gia đình văn hóa hằng năm"),
        ("1.000954", 2, 3, 10, "Thông báo tổ chức lễ hội cấp xã"),
    ),
    ("xa", "Giáo dục và Đào tạo"): (
        ("1.004492", 2, 2, 15, "Cho phép nhóm trẻ, lớp mẫu giáo độc lập hoạt động giáo dục"),
        ("1.004485", 2, 1, 15, "Sáp nhập, chia, tách nhóm trẻ, lớp mẫu giáo độc lập"),
    ),
    ("xa", "Tôn giáo"): (
        ("1.001156", 3, 6, 15, "Đăng ký hoạt động tín ngưỡng"),
        ("1.001167", 3, 4, 15, "Đăng ký sinh hoạt tôn giáo tập trung"),
        ("1.001180", 3, 5, 20,
         "Thông báo tổ chức quyên góp trong địa bàn một xã của cơ sở tín ngưỡng, tổ chức "
         "tôn giáo"),
    ),
}

# When each field's procedures were last republished in the catalogue. Those republished
# from the day Decree 42/2022 took effect use its vocabulary (khong / mot_phan /
# toan_trinh), the others still say "mức độ 2/3/4": real catalogues mix both.
DECREE_42_EFFECTIVE = "2022-08-01"
FIELD_CATALOGUE_UPDATED: dict[str, str] = {
    "Hộ tịch": "2022-11-15", "Chứng thực": "2021-05-20", "Đất đai": "2021-09-07",
    "Môi trường": "2022-12-20", "Xây dựng": "2021-10-12",
    "Quy hoạch xây dựng, kiến trúc": "2022-09-05", "Đường bộ": "2021-03-30",
    "Đăng ký kinh doanh": "2022-09-30", "Lưu thông hàng hóa trong nước": "2021-11-02",
    "An toàn thực phẩm": "2022-10-10", "Bảo trợ xã hội": "2022-08-24",
    "Người có công": "2022-06-15", "Trẻ em": "2021-08-03", "Giáo dục và Đào tạo": "2023-02-14",
    "Văn hóa": "2021-12-01", "Gia đình": "2022-09-12", "Thi đua - Khen thưởng": "2021-07-28",
    "Tôn giáo": "2022-08-25", "Tổ chức phi chính phủ": "2021-04-19",
    "Công chức, viên chức": "2022-11-30", "Nuôi con nuôi": "2021-02-10",
}
OLD_ONLINE_LEVEL_LABEL = {2: "2", 3: "3", 4: "4"}
DECREE_42_ONLINE_LEVEL_LABEL = {2: "khong", 3: "mot_phan", 4: "toan_trinh"}

# --------------------------------------------------------------------------------------
# Behaviour of the district: volumes over time, online uptake, delays, flags
# --------------------------------------------------------------------------------------

# Receipt volume by weekday (Monday first): Monday queues, quiet Friday afternoons.
WEEKDAY_VOLUME = (1.15, 1.05, 1.0, 1.0, 0.85)
YEARLY_VOLUME_GROWTH = 0.05
VOLUME_BASE_YEAR = 2021
# Tết: a rush in the weeks before the Lunar New Year, a slow restart after the break.
TET_RUSH_DAYS, TET_RUSH_FACTOR = 15, 1.25
TET_SLOW_RESTART_DAYS, TET_SLOW_RESTART_FACTOR = 12, 0.55
# Periods when the one-stop shop worked at reduced capacity (first, last, volume factor).
REDUCED_SERVICE_PERIODS: tuple[tuple[str, str, float], ...] = (
    ("2021-07-09", "2021-09-30", 0.45),  # social distancing, COVID-19 wave of summer 2021
)

# District-wide share of online filings among online-capable dossiers at a few dates;
# interpolated in logit space, flat outside. Units deviate by their online_propensity.
ONLINE_UPTAKE_ANCHORS: tuple[tuple[str, float], ...] = (
    ("2021-01-01", 0.42),
    ("2022-01-01", 0.87),
    ("2023-01-01", 0.94),
    ("2024-01-01", 0.98),
)
ONLINE_LEVEL_PROPENSITY = {3: -0.35, 4: 0.45}  # fully-online procedures go online more
INTER_AGENCY_ONLINE_PROPENSITY = 1.2  # inter-agency dossiers travel electronically
UNIT_QUARTER_ONLINE_NOISE = 0.12  # sd, logit points, per unit and quarter

# Resolution: share of in-time dossiers resolved on the due date itself (others earlier);
# late dossiers run over by a geometric number of working days.
ON_DUE_DATE_SHARE = 0.3
LATE_DELAY_GEOMETRIC_P = 0.35
SAME_DAY_CUTOFF_MINUTE = 15 * 60  # "trả trong ngày; sau 15 giờ trả ngày làm việc tiếp theo"
# A few dossiers stall for months (mostly land and construction); some never finish.
STALL_RATE_BY_FIELD = {"Đất đai": 0.006, "Xây dựng": 0.004, "Môi trường": 0.004}
STALL_RATE_DEFAULT = 0.0006
STALL_MIN_DELAY_DAYS, STALL_MEAN_EXTRA_DELAY_DAYS = 20, 120
# Stuck dossiers are never resolved: a share of all dossiers, at least a few, picked among
# those received long enough before the end (weighted like stalls), so every data set
# has old dossiers open and overdue at its end.
STUCK_SHARE, STUCK_MIN_COUNT, STUCK_MIN_AGE_DAYS = 0.0004, 3, 180
APOLOGY_WHEN_NOT_LATE_RATE = 0.002  # an apology for a dossier that turned out in time

RETURN_BY_POST_RATE = {CHANNEL_POSTAL: 0.6, CHANNEL_DIRECT: 0.02, CHANNEL_ONLINE: 0.015}
# Share of dossiers exchanged with another agency (liên thông), by field; some
# procedures are liên thông by design.
INTER_AGENCY_RATE_BY_FIELD = {
    "Đất đai": 0.16, "Đăng ký kinh doanh": 0.08, "Hộ tịch": 0.03, "Xây dựng": 0.04,
    "Bảo trợ xã hội": 0.05, "Người có công": 0.05,
}
INTER_AGENCY_RATE_DEFAULT = 0.01
INTER_AGENCY_BY_DESIGN = {"2.002165": 0.95, "2.002166": 0.95}

# Office hours (minutes after midnight) for receipts and results.
OFFICE_HOURS = ((7 * 60 + 30, 11 * 60 + 30), (13 * 60, 17 * 60))
LATEST_SAME_DAY_RESULT_MINUTE = 17 * 60 + 30
SAME_DAY_RESULT_DELAY_MINUTES = (10, 240)  # result this many minutes after receipt

# Dossiers received this long before `start` and still open at `start` are included, so
# the first quarter has a carried-over backlog like every other one.
WARM_UP_DAYS = 240

# --------------------------------------------------------------------------------------
# Calendar: public holidays (Vietnam); Tết and Hùng Kings follow the lunar calendar
# --------------------------------------------------------------------------------------

SOLAR_HOLIDAYS = ("01-01", "04-30", "05-01", "09-02")
LUNAR_NEW_YEAR = {
    2016: "2016-02-08", 2017: "2017-01-28", 2018: "2018-02-16", 2019: "2019-02-05",
    2020: "2020-01-25", 2021: "2021-02-12", 2022: "2022-02-01", 2023: "2023-01-22",
    2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-06",
    2028: "2028-01-26", 2029: "2029-02-13", 2030: "2030-02-03",
}
TET_BREAK_DAYS = (-2, 4)  # the Tết break, relative to the first day of the lunar year
HUNG_KINGS_DAY_OFF = {
    2020: "2020-04-02", 2021: "2021-04-21", 2022: "2022-04-11", 2023: "2023-05-02",
    2024: "2024-04-18", 2025: "2025-04-07",
}
# Extra days off (National Day second day, compensation for holidays on a weekend).
EXTRA_DAYS_OFF = (
    "2021-05-03", "2021-09-03", "2022-01-03", "2022-05-02", "2022-05-03", "2022-09-01",
    "2023-01-02", "2023-05-03", "2023-09-01", "2023-09-04",
)

OUTPUT_FILE_MODE = 0o644

# Random streams, one per purpose, so changing one table does not reshuffle the others.
STREAM_DOSSIERS, STREAM_DOCUMENTS = 1, 2


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def generate(
    out_dir: str | Path,
    *,
    seed: int = 2022,
    n_dossiers: int = 100_000,
    start: str = "2021-01-01",
    end: str = "2023-12-31",
    wards: int = DEFAULT_WARDS,
) -> dict[str, Path]:
    """Write the demo tables (CSV) into ``out_dir`` and return ``{table: path}``.

    Exactly ``n_dossiers`` rows of dossiers.csv are received between ``start`` and ``end``
    (inclusive); a backlog received before ``start`` and still open then is added (a few
    hundred rows at the default size). The two aggregate-only wards are simulated the same
    way, in proportion to their volume, and written as quarterly Biểu 06 counts in
    aggregates.csv instead of as rows. Same arguments, same bytes.

    ``wards`` above 14 adds wards to the district (see :func:`_world`): ``wards=92`` makes
    100 briefed units. The default world's units keep their behaviour, but the dossiers
    are drawn anew: ``n_dossiers`` is spread over all units by volume, so scale it with
    the world (:func:`dossiers_for`) to keep each unit's volume.
    """
    first_day, last_day = np.datetime64(start, "D"), np.datetime64(end, "D")
    if last_day <= first_day:
        raise ValueError(f"end ({end}) must be after start ({start})")
    if n_dossiers <= 0:
        raise ValueError("n_dossiers must be positive")

    world = _world(wards)
    units = _units_table(world)
    procedures = _procedures_table()
    holidays = _holidays(int(str(first_day)[:4]) - 1, int(str(last_day)[:4]) + 3)
    simulated = _simulate_dossiers(
        np.random.default_rng([seed, STREAM_DOSSIERS]), world, n_dossiers, first_day, last_day,
        holidays,
    )
    aggregate_only = np.array([u.aggregate_only for u in world])[simulated["unit"].to_numpy()]
    tables = {
        "units": units,
        "procedures": procedures,
        "dossiers": _dossiers_table(world, simulated[~aggregate_only]),
        "aggregates": _aggregates_table(world, simulated[aggregate_only], first_day, last_day),
        "documents": _documents_table(
            np.random.default_rng([seed, STREAM_DOCUMENTS]), world, first_day, last_day,
            holidays,
        ),
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, table in tables.items():
        written[name] = _write_csv_atomically(table[list(TABLE_COLUMNS[name])], out / f"{name}.csv")
    return written


def dossiers_for(wards: int, n_dossiers: int = 100_000) -> int:
    """The ``n_dossiers`` that gives a world of ``wards`` wards the volume per unit that
    ``n_dossiers`` gives the default world (dossier rows, by volume: the departments,
    busier than wards, stay as busy)."""
    cat = _catalogue()

    def dossier_level_volume(world: Sequence[UnitSpec]) -> float:
        pairs = _unit_procedure_pairs(world, cat)
        return float(pairs.volume[~pairs.aggregate_only].sum())

    return round(n_dossiers * dossier_level_volume(_world(wards)) / dossier_level_volume(UNITS))


# --------------------------------------------------------------------------------------
# Catalogue tables
# --------------------------------------------------------------------------------------


def _units_table(world: Sequence[UnitSpec]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": [u.unit_id for u in world],
            "name": [u.name for u in world],
            "kind": [u.kind for u in world],
            "level": [u.level for u in world],
            "parent_id": [u.parent_id for u in world],
            "fields": [";".join(u.fields) for u in world],
        },
        dtype="str",
    )


@dataclass(frozen=True)
class _Catalogue:
    """The procedure catalogue as arrays, in PROCEDURE_CATALOGUE order."""

    procedure_id: np.ndarray
    name: np.ndarray
    field: np.ndarray
    level: np.ndarray
    online_level: np.ndarray  # 2, 3 or 4 (old vocabulary, used for behaviour)
    yearly_volume: np.ndarray
    processing_days: np.ndarray


def _catalogue() -> _Catalogue:
    rows = [
        (code, name, field, level, online_level, volume, days)
        for (level, field), procedures in PROCEDURE_CATALOGUE.items()
        for code, online_level, volume, days, name in procedures
    ]
    code, name, field, level, online_level, volume, days = map(np.array, zip(*rows, strict=True))
    return _Catalogue(code, name, field, level, online_level.astype(np.int64),
                      volume.astype(np.float64), days.astype(np.int64))


def _procedures_table() -> pd.DataFrame:
    cat = _catalogue()
    updated = np.array([FIELD_CATALOGUE_UPDATED[f] for f in cat.field], dtype="datetime64[D]")
    new_vocabulary = updated >= np.datetime64(DECREE_42_EFFECTIVE)
    labels = np.where(
        new_vocabulary,
        [DECREE_42_ONLINE_LEVEL_LABEL[x] for x in cat.online_level],
        [OLD_ONLINE_LEVEL_LABEL[x] for x in cat.online_level],
    )
    return pd.DataFrame(
        {"procedure_id": cat.procedure_id, "name": cat.name, "field": cat.field,
         "level": cat.level, "online_level": labels},
        dtype="str",
    )


# --------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------


def _holidays(first_year: int, last_year: int) -> np.ndarray:
    """Public holidays (weekdays and weekends alike) for busday computations."""
    days: list[np.datetime64] = []
    for year in range(first_year, last_year + 1):
        days += [np.datetime64(f"{year}-{md}") for md in SOLAR_HOLIDAYS]
        if year in LUNAR_NEW_YEAR:
            tet = np.datetime64(LUNAR_NEW_YEAR[year])
            days += list(tet + np.arange(TET_BREAK_DAYS[0], TET_BREAK_DAYS[1] + 1))
        if year in HUNG_KINGS_DAY_OFF:
            days.append(np.datetime64(HUNG_KINGS_DAY_OFF[year]))
    days += [np.datetime64(d) for d in EXTRA_DAYS_OFF]
    return np.unique(np.array(days, dtype="datetime64[D]"))


def _workdays(first: np.datetime64, last: np.datetime64, holidays: np.ndarray) -> np.ndarray:
    days = np.arange(first, last + 1, dtype="datetime64[D]")
    return days[np.is_busday(days, holidays=holidays)]


def _receipt_volume(days: np.ndarray) -> np.ndarray:
    """Relative receipt volume of each working day (weekday, growth, Tết, disruptions)."""
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    volume = np.asarray(WEEKDAY_VOLUME)[weekday] * (1 + YEARLY_VOLUME_GROWTH) ** (
        years - VOLUME_BASE_YEAR
    )
    for tet in LUNAR_NEW_YEAR.values():
        offset = (days - np.datetime64(tet)).astype(np.int64)
        volume[(offset < 0) & (offset >= -TET_RUSH_DAYS)] *= TET_RUSH_FACTOR
        volume[(offset > 0) & (offset <= TET_SLOW_RESTART_DAYS)] *= TET_SLOW_RESTART_FACTOR
    for first, last, factor in REDUCED_SERVICE_PERIODS:
        volume[(days >= np.datetime64(first)) & (days <= np.datetime64(last))] *= factor
    return volume


def _online_uptake_logit(days: np.ndarray) -> np.ndarray:
    anchor_days = np.array([d for d, _ in ONLINE_UPTAKE_ANCHORS], dtype="datetime64[D]")
    anchor_share = np.array([s for _, s in ONLINE_UPTAKE_ANCHORS])
    anchor_logit = np.log(anchor_share / (1 - anchor_share))
    return np.interp(days.astype(np.int64), anchor_days.astype(np.int64), anchor_logit)


def _inter_agency_rate(cat: _Catalogue) -> np.ndarray:
    """Per procedure: its by-design rate if it is a liên thông procedure, else its field's."""
    field_rate = [INTER_AGENCY_RATE_BY_FIELD.get(f, INTER_AGENCY_RATE_DEFAULT) for f in cat.field]
    return np.array([
        INTER_AGENCY_BY_DESIGN.get(code, rate)
        for code, rate in zip(cat.procedure_id, field_rate, strict=True)
    ])


def _office_minutes() -> np.ndarray:
    return np.concatenate([np.arange(a, b + 1) for a, b in OFFICE_HOURS])


def _quarter_number(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return months // 3


# --------------------------------------------------------------------------------------
# Dossiers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pairs:
    """Every (unit, procedure) pair that receives dossiers, with its expected volume."""

    unit: np.ndarray
    procedure: np.ndarray
    volume: np.ndarray
    aggregate_only: np.ndarray  # the pair's unit reports counts only


def _unit_procedure_pairs(world: Sequence[UnitSpec], cat: _Catalogue) -> _Pairs:
    """Which unit resolves which procedure, and the expected yearly volume of each pair.

    A unit resolves the procedures of its level, narrowed to its fields when it has any
    (the same rule the KPI code applies to units.csv).
    """
    units, procedures, volumes = [], [], []
    for unit_index, unit in enumerate(world):
        if not unit.resolves_dossiers:
            continue
        mask = cat.level == unit.level
        if unit.fields:
            mask &= np.isin(cat.field, unit.fields)
        of_unit = np.flatnonzero(mask)
        units.append(np.full(of_unit.size, unit_index))
        procedures.append(of_unit)
        volumes.append(cat.yearly_volume[of_unit] * unit.volume)
    pair_unit = np.concatenate(units)
    aggregate_only = np.array([u.aggregate_only for u in world])[pair_unit]
    return _Pairs(pair_unit, np.concatenate(procedures), np.concatenate(volumes), aggregate_only)


def _simulate_dossiers(
    rng: np.random.Generator,
    world: Sequence[UnitSpec],
    n_dossiers: int,
    first_day: np.datetime64,
    last_day: np.datetime64,
    holidays: np.ndarray,
) -> pd.DataFrame:
    """Simulate every dossier of every unit, with internal columns (indices, dates).

    Returns one row per dossier received in [first_day, last_day], plus the backlog
    received in the warm-up period and still open at first_day. resolved_day is NaT for
    dossiers still open at last_day.
    """
    cat = _catalogue()
    pairs = _unit_procedure_pairs(world, cat)
    received_day, pair = _draw_receipts(rng, pairs, n_dossiers, first_day, last_day, holidays)
    n = received_day.size
    unit, procedure = pairs.unit[pair], pairs.procedure[pair]
    received_minute = rng.choice(_office_minutes(), n)
    inter_agency = rng.random(n) < _inter_agency_rate(cat)[procedure]
    channel = _draw_channels(rng, world, cat, unit, procedure, received_day, inter_agency)
    resolution = _draw_resolution(
        rng, world, cat, unit, procedure, received_day, received_minute, last_day, holidays
    )
    open_at_end = np.isnat(resolution["resolved_day"])

    # Apologies go with late dossiers once they are overdue; results return by post
    # mostly for postal filings.
    unit_apology_rate = np.array([u.apology_rate for u in world])[unit]
    late = resolution.pop("late")
    overdue_by_end = late & (~open_at_end | (resolution["due_day"] < last_day))
    apology = np.where(
        late,
        overdue_by_end & (rng.random(n) < unit_apology_rate),
        ~open_at_end & (rng.random(n) < APOLOGY_WHEN_NOT_LATE_RATE),
    )
    return_rate = np.array([RETURN_BY_POST_RATE[c] for c in CHANNELS])[channel]
    returned_by_post = ~open_at_end & (rng.random(n) < return_rate)

    frame = pd.DataFrame({
        "unit": unit,
        "procedure": procedure,
        "channel": channel,
        "received_day": received_day,
        "received_minute": received_minute,
        **resolution,
        "returned_by_post": returned_by_post,
        "apology_sent": apology,
        "inter_agency": inter_agency,
        "tiebreak": rng.random(n),  # orders same-minute receipts when numbering them
    })
    in_backlog = frame["received_day"] < first_day
    still_open_at_start = frame["resolved_day"].isna() | (frame["resolved_day"] >= first_day)
    return frame[~in_backlog | still_open_at_start].reset_index(drop=True)


def _draw_receipts(
    rng: np.random.Generator,
    pairs: _Pairs,
    n_dossiers: int,
    first_day: np.datetime64,
    last_day: np.datetime64,
    holidays: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Receipt day (from the volume curve) and unit x procedure pair (from volumes).

    Units with dossier rows get exactly ``n_dossiers`` in the window, the aggregate-only
    wards as many as their volume implies; both also get a warm-up period whose still
    open dossiers become the first quarter's carried-over backlog.
    """
    warm_up_days = _workdays(first_day - WARM_UP_DAYS, first_day - 1, holidays)
    window_days = _workdays(first_day, last_day, holidays)
    warm_up_volume, window_volume = _receipt_volume(warm_up_days), _receipt_volume(window_days)
    warm_up_ratio = warm_up_volume.sum() / window_volume.sum()
    dossier_level_volume = pairs.volume[~pairs.aggregate_only].sum()
    days_drawn, pairs_drawn = [], []
    for in_group in (~pairs.aggregate_only, pairs.aggregate_only):
        group = np.flatnonzero(in_group)
        group_volume = pairs.volume[group]
        n_window = round(n_dossiers * group_volume.sum() / dossier_level_volume)
        for days, day_volume, count in (
            (window_days, window_volume, n_window),
            (warm_up_days, warm_up_volume, round(n_window * warm_up_ratio)),
        ):
            days_drawn.append(rng.choice(days, count, p=day_volume / day_volume.sum()))
            pairs_drawn.append(rng.choice(group, count, p=group_volume / group_volume.sum()))
    return np.concatenate(days_drawn), np.concatenate(pairs_drawn)


def _draw_channels(
    rng: np.random.Generator,
    world: Sequence[UnitSpec],
    cat: _Catalogue,
    unit: np.ndarray,
    procedure: np.ndarray,
    received_day: np.ndarray,
    inter_agency: np.ndarray,
) -> np.ndarray:
    """Channel (DIRECT, ONLINE, POSTAL): postal at the unit's share, then online (procedures of
    level 3/4 only) following the district's uptake curve shifted by unit, level,
    inter-agency exchange and a unit x quarter wobble, otherwise in person."""
    n = unit.size
    quarter = _quarter_number(received_day)
    quarter_wobble = rng.normal(
        0.0, UNIT_QUARTER_ONLINE_NOISE, (len(world), quarter.max() - quarter.min() + 1)
    )
    quarter_wobble -= quarter_wobble.mean(axis=0)  # units wobble; the district trend does not
    level_propensity = np.array(
        [ONLINE_LEVEL_PROPENSITY.get(level, 0.0) for level in cat.online_level]
    )
    online_logit = (
        _online_uptake_logit(received_day)
        + np.array([u.online_propensity for u in world])[unit]
        + level_propensity[procedure]
        + INTER_AGENCY_ONLINE_PROPENSITY * inter_agency
        + quarter_wobble[unit, quarter - quarter.min()]
    )
    online_capable = cat.online_level[procedure] >= 3
    p_online = np.where(online_capable, 1 / (1 + np.exp(-online_logit)), 0.0)
    postal = rng.random(n) < np.array([u.postal_share for u in world])[unit]
    online = ~postal & (rng.random(n) < p_online)
    return np.select([postal, online], [POSTAL, ONLINE], DIRECT)


def _draw_resolution(
    rng: np.random.Generator,
    world: Sequence[UnitSpec],
    cat: _Catalogue,
    unit: np.ndarray,
    procedure: np.ndarray,
    received_day: np.ndarray,
    received_minute: np.ndarray,
    last_day: np.datetime64,
    holidays: np.ndarray,
) -> dict[str, np.ndarray]:
    """Due day, result day and minute (NaT when open at last_day), and the late flag.

    The due day is the receipt day plus the processing time in working days (same-day
    procedures roll to the next day after 15:00). In-time dossiers are resolved on the
    due day or earlier; late ones a few working days after it; stalled ones (mostly
    land and construction) months after it; stuck ones never.
    """
    n = unit.size
    processing_days = cat.processing_days[procedure]
    due_offset = processing_days + (
        (processing_days == 0) & (received_minute >= SAME_DAY_CUTOFF_MINUTE)
    )
    due_day = np.busday_offset(received_day, due_offset, roll="forward", holidays=holidays)

    stall_rate = np.array([STALL_RATE_BY_FIELD.get(f, STALL_RATE_DEFAULT) for f in cat.field])
    stalled = rng.random(n) < stall_rate[procedure]
    stuck = _pick_stuck(rng, received_day, stall_rate[procedure], last_day)
    late = stalled | stuck | (rng.random(n) < np.array([u.late_rate for u in world])[unit])
    on_due_day = (rng.random(n) < ON_DUE_DATE_SHARE) | (due_offset == 0)
    early_offset = np.floor(rng.random(n) * due_offset).astype(np.int64)
    late_offset = due_offset + rng.geometric(LATE_DELAY_GEOMETRIC_P, n)
    stall_offset = due_offset + STALL_MIN_DELAY_DAYS + np.round(
        rng.exponential(STALL_MEAN_EXTRA_DELAY_DAYS, n)
    ).astype(np.int64)
    resolve_offset = np.select(
        [stalled, late, on_due_day], [stall_offset, late_offset, due_offset], early_offset
    )
    resolved_day = np.busday_offset(received_day, resolve_offset, roll="forward", holidays=holidays)
    resolved_day[stuck | (resolved_day > last_day)] = np.datetime64("NaT")

    # Same-day results come a little after the receipt, never before it.
    same_day_delay = rng.integers(*SAME_DAY_RESULT_DELAY_MINUTES, n, endpoint=True)
    same_day_minute = np.maximum(
        received_minute, np.minimum(received_minute + same_day_delay, LATEST_SAME_DAY_RESULT_MINUTE)
    )
    resolved_minute = np.where(
        resolve_offset == 0, same_day_minute, rng.choice(_office_minutes(), n)
    )
    return {"due_day": due_day, "resolved_day": resolved_day,
            "resolved_minute": resolved_minute, "late": late}


def _pick_stuck(
    rng: np.random.Generator,
    received_day: np.ndarray,
    stall_rate: np.ndarray,
    last_day: np.datetime64,
) -> np.ndarray:
    """Mask of the dossiers that are never resolved (see STUCK_SHARE)."""
    stuck = np.zeros(received_day.size, dtype=bool)
    old_enough = np.flatnonzero(received_day <= last_day - STUCK_MIN_AGE_DAYS)
    count = min(old_enough.size, max(STUCK_MIN_COUNT, round(STUCK_SHARE * received_day.size)))
    if count == 0:  # a window shorter than STUCK_MIN_AGE_DAYS
        return stuck
    weight = stall_rate[old_enough]
    stuck[rng.choice(old_enough, count, replace=False, p=weight / weight.sum())] = True
    return stuck


def _dossiers_table(world: Sequence[UnitSpec], simulated: pd.DataFrame) -> pd.DataFrame:
    """Dossier rows as written: ids, text codes, ISO date-times, true/false flags."""
    frame = simulated.sort_values(
        ["unit", "received_day", "received_minute", "tiebreak"], kind="stable"
    ).reset_index(drop=True)
    sequence = frame.groupby(["unit", "received_day"], sort=False).cumcount() + 1
    unit = frame["unit"].to_numpy()
    agency_code = np.array([u.agency_code for u in world], dtype=object)[unit]
    received_day = frame["received_day"].to_numpy()
    yymmdd = pd.Series(np.datetime_as_string(received_day, unit="D")).str.slice(2).str.replace(
        "-", "", regex=False
    )
    dossier_id = (
        DOSSIER_ID_PROVINCE + "." + pd.Series(agency_code) + "-" + yymmdd + "-"
        + sequence.astype("str").str.zfill(4)
    )
    cat = _catalogue()
    table = pd.DataFrame({
        "dossier_id": dossier_id,
        "unit_id": np.array([u.unit_id for u in world], dtype=object)[unit],
        "procedure_id": cat.procedure_id[frame["procedure"].to_numpy()],
        "channel": np.array(CHANNELS, dtype=object)[frame["channel"].to_numpy()],
        "received_at": _format_day_minute(received_day, frame["received_minute"].to_numpy()),
        "due_at": np.datetime_as_string(frame["due_day"].to_numpy(), unit="D"),
        "resolved_at": _format_day_minute(
            frame["resolved_day"].to_numpy(), frame["resolved_minute"].to_numpy()
        ),
        "returned_by_post": _format_bool(frame["returned_by_post"].to_numpy()),
        "apology_sent": _format_bool(frame["apology_sent"].to_numpy()),
        "inter_agency": _format_bool(frame["inter_agency"].to_numpy()),
    }, dtype="str")
    order = np.lexsort((table["dossier_id"].to_numpy(), table["received_at"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def _format_day_minute(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD HH:MM', or '' where the day is NaT."""
    stamps = days.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    text = pd.Series(np.datetime_as_string(stamps, unit="m")).str.replace("T", " ", regex=False)
    return np.where(np.isnat(days), "", text.to_numpy(dtype=object))


def _format_bool(values: np.ndarray) -> np.ndarray:
    return np.where(values, "true", "false")


# --------------------------------------------------------------------------------------
# Aggregates (Biểu 06 counts per calendar quarter) for the aggregate-only wards
# --------------------------------------------------------------------------------------


def _aggregates_table(
    world: Sequence[UnitSpec],
    simulated: pd.DataFrame, first_day: np.datetime64, last_day: np.datetime64
) -> pd.DataFrame:
    """Count the aggregate-only wards' simulated dossiers the way Biểu 06 does.

    Counting real (simulated) dossiers makes every identity of the form hold by
    construction: new + carried over = resolved + pending, and a quarter's carried-over
    dossiers are exactly the previous quarter's pending ones. Quarters are clipped to
    [first_day, last_day]. A pending dossier is overdue when its due date is before the
    last day of the quarter.
    """
    received = simulated["received_day"].to_numpy()
    resolved = simulated["resolved_day"].to_numpy()
    due = simulated["due_day"].to_numpy()
    channel = simulated["channel"].to_numpy()
    unit = simulated["unit"].to_numpy()
    is_open = np.isnat(resolved)
    rows = []
    for quarter in pd.period_range(str(first_day), str(last_day), freq="Q"):
        q_first = max(np.datetime64(quarter.start_time.date(), "D"), first_day)
        q_last = min(np.datetime64(quarter.end_time.date(), "D"), last_day)
        received_in = (received >= q_first) & (received <= q_last)
        carried_over = (received < q_first) & (is_open | (resolved >= q_first))
        resolved_in = ~is_open & (resolved >= q_first) & (resolved <= q_last)
        pending = (received <= q_last) & (is_open | (resolved > q_last))
        counts = {
            "received_online": received_in & (channel == ONLINE),
            "received_direct_or_postal": received_in & (channel != ONLINE),
            "carried_over": carried_over,
            "resolved_early": resolved_in & (resolved < due),
            "resolved_on_time": resolved_in & (resolved == due),
            "resolved_late": resolved_in & (resolved > due),
            "pending_in_time": pending & (due >= q_last),
            "pending_overdue": pending & (due < q_last),
            "resolved_online": resolved_in & (channel == ONLINE),
            "received_postal": received_in & (channel == POSTAL),
            "returned_by_post": resolved_in & simulated["returned_by_post"].to_numpy(),
            "apology_sent": resolved_in & (resolved > due) & simulated["apology_sent"].to_numpy(),
        }
        for unit_index, spec in enumerate(world):
            if spec.aggregate_only:
                of_unit = unit == unit_index
                rows.append({"unit_id": spec.unit_id, "period": str(quarter)}
                            | {k: int((v & of_unit).sum()) for k, v in counts.items()})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["aggregates"]))


# --------------------------------------------------------------------------------------
# Electronic documents
# --------------------------------------------------------------------------------------


def _documents_table(
    rng: np.random.Generator,
    world: Sequence[UnitSpec],
    first_day: np.datetime64,
    last_day: np.datetime64,
    holidays: np.ndarray,
) -> pd.DataFrame:
    """Official documents sent by each unit: mostly electronic, mostly digitally signed."""
    workdays = _workdays(first_day, last_day, holidays)
    years_covered = (last_day - first_day + 1).astype(np.int64) / 365.25
    parts = []
    for unit in world:
        count = int(rng.poisson(unit.documents_per_year * years_covered))
        sent = np.sort(rng.choice(workdays, count))
        electronic = rng.random(count) < unit.documents_electronic_rate
        signed = electronic & (rng.random(count) < unit.documents_signed_rate)
        year = pd.Series(sent.astype("datetime64[Y]").astype(np.int64) + 1970)
        number = year.groupby(year).cumcount() + 1  # numbering restarts every year
        parts.append(pd.DataFrame({
            "document_id": "VB-" + unit.unit_id + "-" + year.astype("str") + "-"
            + number.astype("str").str.zfill(5),
            "unit_id": unit.unit_id,
            "sent_at": np.datetime_as_string(sent, unit="D"),
            "electronic": _format_bool(electronic),
            "digitally_signed": _format_bool(signed),
        }, dtype="str"))
    table = pd.concat(parts, ignore_index=True)
    order = np.lexsort((table["document_id"].to_numpy(), table["sent_at"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def _write_csv_atomically(table: pd.DataFrame, path: Path) -> Path:
    """Write a CSV next to its final place, then rename: readers never see half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            table.to_csv(stream, index=False, lineterminator="\n")
        os.chmod(temporary, OUTPUT_FILE_MODE)  # mkstemp creates 0600 files
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
