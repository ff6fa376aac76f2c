"""What every .xlsx download shares: the media type, the 元 format, a bold frozen header row,
the sheet naming the filters used, and the response with an ASCII and a Chinese file name."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from io import BytesIO

from litestar.response import Response
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from services.kit import workdays
from services.kit.storage import content_disposition

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN = '#,##0.00"元"'
PERCENT = "0.0%"
FILTERS = "筛选条件"


def book() -> Workbook:
    """A workbook without openpyxl's default sheet, so every sheet is one the caller names."""
    made = Workbook()
    first = made.active
    if first is not None:
        made.remove(first)
    return made


def table(
    into: Workbook, title: str, headers: Sequence[str], widths: Sequence[int] = ()
) -> Worksheet:
    """A sheet whose first row is its headers, bold and kept in view when scrolling."""
    sheet: Worksheet = into.create_sheet(title)
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width
    sheet.freeze_panes = "A2"
    return sheet


def filters(into: Workbook, used: Iterable[tuple[str, object]]) -> Worksheet:
    """The sheet 筛选条件: one row per filter or fact of the download, its name and value."""
    sheet = table(into, FILTERS, ("条件", "取值"), (14, 40))
    for name, value in used:
        sheet.append([name, value])
    return sheet


def exported_at(now: datetime | None = None) -> str:
    """When the download was made, in Beijing time, as the 导出时间 row says it."""
    moment = (now or datetime.now(workdays.SHANGHAI)).astimezone(workdays.SHANGHAI)
    return f"{moment:%Y-%m-%d %H:%M:%S}（北京时间）"


def saved(done: Workbook) -> bytes:
    out = BytesIO()
    done.save(out)
    return out.getvalue()


def download(content: bytes, name: str, fallback: str) -> Response[bytes]:
    """The workbook as an attachment named ``name`` (Chinese), ``fallback`` for old clients."""
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": content_disposition(name, fallback)},
    )
