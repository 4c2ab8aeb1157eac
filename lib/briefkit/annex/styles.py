"""How the annex looks: fonts, fills, borders, alignments, number formats, print geometry.

Decisions worth knowing:

* **Typography and print.** Times New Roman 12 throughout (also as the workbook's default
  font, so cells a user adds later match); Excel on Windows has it, LibreOffice substitutes the
  metric-compatible Liberation Serif. Every sheet prints on A4 landscape with its header rows
  repeated on each page and page numbers at the top centre except on the first page (Decree
  30/2020, annex I). The printed tables are laid out to print at :data:`MIN_PRINT_SCALE` (80 %,
  12-pt text at 9.6 pt) or larger: Biểu 06 is fitted to the page width (and to one page when
  that costs no legibility), "Chỉ tiêu" see :mod:`~briefkit.annex.kpi_sheet`, "Nguồn dữ
  liệu" fitted to the width (it prints at 100 %). The machine data sheet is only fitted to
  the width (about 75 %).
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.page import PageMargins

#: Counts with the Vietnamese thousands dot as a literal ("10.561", "1.234.567"), so Excel and
#: LibreOffice show it whatever the reader's regional settings (a "#,##0" would follow them).
FMT_COUNT = '[>=1000000]#"."###"."###;[>=1000]#"."###;0'
#: Rates and points with the Vietnamese locale's id: LibreOffice then writes "91,71%" on any
#: system; Excel takes the decimal separator from the system whatever the format says (no
#: number format can force it there), so an English Windows shows "91.71%" (README).
FMT_RATE = "[$-42A]0.00%"
FMT_POINTS = "[$-42A]0.00"
_LOCALE_CODE = "[$-42A]"  # Vietnamese (LCID 0x042A): a format's first token

FONT_NAME = "Times New Roman"
FONT_SIZE = 12
_FONT = Font(name=FONT_NAME, size=FONT_SIZE, family=1)
_BOLD = Font(name=FONT_NAME, size=FONT_SIZE, family=1, bold=True)
_ITALIC = Font(name=FONT_NAME, size=FONT_SIZE, family=1, italic=True)
_FONT_MET = Font(name=FONT_NAME, size=FONT_SIZE, family=1, color="006100")
_FONT_NOT_MET = Font(name=FONT_NAME, size=FONT_SIZE, family=1, bold=True, color="9C0006")
_FILL_MET = PatternFill("solid", start_color="C6EFCE", end_color="C6EFCE")
_FILL_NOT_MET = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
_FILL_HEADER = PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2")
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = Alignment(horizontal="center", vertical="center", wrap_text=True)
_CENTER = Alignment(horizontal="center", vertical="center")
_SHRINK = Alignment(horizontal="center", vertical="center", shrink_to_fit=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_RIGHT = Alignment(horizontal="right", vertical="center")
_TITLE = Alignment(horizontal="center", vertical="center", wrap_text=True)

# One line of 12-pt text: Excel's default row height for the font, in points.
_LINE_HEIGHT = 15.75
# Decree 30/2020 margins (top/bottom 20 mm, left 30 mm, right 15 mm), in inches.
_MARGINS = PageMargins(left=30 / 25.4, right=15 / 25.4, top=20 / 25.4, bottom=20 / 25.4,
                       header=8 / 25.4, footer=8 / 25.4)

# Print geometry, in points: what an A4 landscape page holds inside those margins (Excel
# prints the running header in the top margin; LibreOffice too, for an xlsx), and what a
# column of width 1 takes on paper at 100 %: one digit of Times New Roman 12, 8 px = 6 pt
# (measured in LibreOffice), plus a little for Excel's own rounding. Heights are estimated
# with Excel's 15.75-pt line; LibreOffice's is 15 pt, so the estimate errs on the safe side.
_PRINT_WIDTH = (297 - 30 - 15) / 25.4 * 72
_PRINT_HEIGHT = (210 - 20 - 20) / 25.4 * 72
_POINTS_PER_WIDTH = 6.0 * 1.04
#: The smallest print scale (percent) the annex's tables are laid out for: 12-pt text then
#: prints at 9.6 pt, the size of a dense table in an official annex.
MIN_PRINT_SCALE = 80
