"""The red-flag list as an .xlsx workbook: Chinese headers, 元 and percentage formats, and a
sheet naming the filters used."""

from __future__ import annotations

from services.kit import workbook as xlsx
from services.kit.workbook import YUAN
from services.redflags.indicators import Indicator, Unit
from services.redflags.schemas import RedFlagsOut

# Two decimals: a price at 99.14 % of its ceiling must not read as the 99 % threshold.
PERCENT = "0.00%"
HEADERS = (
    "指标代码",
    "指标名称",
    "地区代码",
    "地区名称",
    "年度",
    "开放合同编码（OCID）",
    "项目名称",
    "指标值",
    "阈值",
    "单位",
    "供应商",
    "成交金额（元）",
    "拨付期次",
    "公开记录",
)
UNIT_NAMES = {
    Unit.bids: "家",
    Unit.days: "日",
    Unit.working_days: "工作日",
    Unit.share: "比例",
}
WIDTHS = (18, 30, 10, 14, 8, 46, 36, 10, 10, 8, 30, 18, 10, 70)


def workbook(body: RedFlagsOut, scope_name: str) -> bytes:
    book = xlsx.book()
    sheet = xlsx.table(book, "预警信号", HEADERS, WIDTHS)
    for flag in body.flags:
        share = flag.unit == Unit.share
        sheet.append(
            [
                flag.indicator,
                flag.name,
                flag.region,
                flag.region_name,
                flag.year,
                flag.ocid,
                flag.title,
                float(flag.value),
                float(flag.threshold),
                UNIT_NAMES[Unit(flag.unit)],
                flag.supplier or "",
                float(flag.amount) if flag.amount is not None else None,
                flag.instalment,
                flag.record_url,
            ]
        )
        row = sheet.max_row
        for column in ("H", "I"):
            sheet[f"{column}{row}"].number_format = PERCENT if share else "0"
        sheet[f"L{row}"].number_format = YUAN

    indicator = Indicator(body.indicator).value if body.indicator else None
    xlsx.filters(
        book,
        (
            ("范围", scope_name),
            ("年度", body.year if body.year is not None else "全部"),
            ("地区代码", body.region or "全部"),
            ("指标", indicator or "全部"),
            ("预警信号数", len(body.flags)),
        ),
    )
    return xlsx.saved(book)
