"""The statistics as .xlsx workbooks: one sheet per table of the figures, each figure a row
with its Chinese label and its value as a number (元 and percentage formats); the drill-down's
rows; and the sheet naming the filters used, the time and the exporter's role (never a name)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from services.kit import workbook as xlsx
from services.kit.workbook import PERCENT, YUAN
from services.statistics import labels
from services.statistics.labels import named
from services.statistics.schemas import Count, RowOut, StatisticsOut

COUNT = "#,##0"
HOURS = "#,##0.0"
AVERAGE = "0.00"
SUPPRESSED = "已隐去"
# A share with nothing to divide by (no procurements, no contracts...): said, not zero.
NO_SHARE = "—"
FIGURE_HEADERS = ("指标", "数值")
FIGURE_WIDTHS = (44, 22)
ROW_HEADERS = ("类型", "编号", "名称", "维度", "季度", "项目领域", "数值")
ROW_WIDTHS = (14, 38, 40, 24, 8, 28, 18)


@dataclass(frozen=True)
class Export:
    """What the 筛选条件 sheet says besides the figures' own filters."""

    region: str  # 全国, or the region's name and code
    roles: list[str]  # the exporter's roles that let them through


def _put(sheet: Worksheet, label: str, value: object, number_format: str) -> None:
    sheet.append([label, value])
    if isinstance(value, int | float):
        sheet.cell(sheet.max_row, 2).number_format = number_format


def _money(sheet: Worksheet, label: str, value: str) -> None:
    _put(sheet, label, float(Decimal(value)), YUAN)


def _share(sheet: Worksheet, label: str, value: float | None) -> None:
    _put(sheet, label, NO_SHARE if value is None else value, PERCENT)


def _count(sheet: Worksheet, label: str, value: Count) -> None:
    _put(sheet, label, SUPPRESSED if value.suppressed else value.value, COUNT)


def _counts(sheet: Worksheet, prefix: str, names: Mapping[str, str], by: dict[str, int]) -> None:
    for key, value in by.items():
        _put(sheet, f"{prefix}{named(names, key)}", value, COUNT)


def _sheet(book: Workbook, title: str) -> Worksheet:
    return xlsx.table(book, title, FIGURE_HEADERS, FIGURE_WIDTHS)


def _budget(book: Workbook, body: StatisticsOut) -> None:
    sheet = _sheet(book, "预算")
    _money(sheet, "批复预算合计", body.budget_approved)
    for source, value in body.budget_by_funding_source.items():
        _money(sheet, f"其中：{named(labels.FUNDING_SOURCE_NAMES, source)}", value)


def _procurements(book: Workbook, body: StatisticsOut) -> None:
    sheet, figures = _sheet(book, "采购方式"), body.procurements
    _put(sheet, "采购项目数", figures.total, COUNT)
    _counts(sheet, "其中：", labels.METHOD_NAMES, figures.by_method)
    _put(sheet, "失败（废标）的采购项目数", figures.failed, COUNT)
    _put(sheet, "已评审的采购项目数", figures.reviewed, COUNT)
    _share(sheet, "公开招标占比", figures.open_tender_share)
    _share(sheet, "失败（废标）占比", figures.failed_share)
    average = figures.average_valid_bids
    _put(sheet, "平均有效投标（响应）数", NO_SHARE if average is None else average, AVERAGE)
    _share(sheet, "仅一家有效投标（响应）占比", figures.single_valid_bid_share)


def _awards(book: Workbook, body: StatisticsOut) -> None:
    sheet, figures = _sheet(book, "授予与节约"), body.awards
    _money(sheet, "已成交项目的预算金额", figures.budget_awarded)
    _money(sheet, "成交金额", figures.awarded_value)
    _money(sheet, "节约资金", figures.savings)
    _share(sheet, "节约率", figures.savings_rate)


def _contracts(book: Workbook, body: StatisticsOut) -> None:
    sheet, figures = _sheet(book, "合同与支付"), body.contracts
    _put(sheet, "已签订合同数", figures.count, COUNT)
    _money(sheet, "合同金额", figures.contracted_value)
    _money(sheet, "已支付金额", figures.paid)
    _share(sheet, "支付率", figures.disbursement_rate)


def _service(book: Workbook, body: StatisticsOut) -> None:
    sheet, figures = _sheet(book, "服务对象与服务时长"), body.service
    _count(sheet, "服务人数合计", figures.people_served)
    for group, count in figures.people_served_by_target_group.items():
        _count(sheet, f"服务人数：{named(labels.TARGET_GROUP_NAMES, group)}", count)
    _put(sheet, "服务时长合计（小时）", float(Decimal(figures.service_hours)), HOURS)
    for level, hours in figures.service_hours_by_staff_level.items():
        label = f"服务时长：{named(labels.STAFF_LEVEL_NAMES, level)}（小时）"
        _put(sheet, label, float(Decimal(hours)), HOURS)


def _quality(book: Workbook, body: StatisticsOut) -> None:
    sheet, figures = _sheet(book, "验收与评估"), body.quality
    _put(sheet, "验收合格数", figures.acceptances_passed, COUNT)
    _put(sheet, "验收不合格数", figures.acceptances_failed, COUNT)
    _share(sheet, "验收合格率", figures.acceptance_pass_rate)
    _counts(sheet, "第三方评估：", labels.GRADE_NAMES, figures.evaluation_grades)


def _providers(book: Workbook, body: StatisticsOut) -> None:
    sheet, figures = _sheet(book, "服务机构"), body.providers
    _put(sheet, "服务机构数", sum(figures.by_kind.values()), COUNT)
    _counts(sheet, "其中：", labels.PROVIDER_KIND_NAMES, figures.by_kind)
    _put(sheet, "在本范围多个地区服务的机构数", figures.cross_region, COUNT)


def _bars(book: Workbook, body: StatisticsOut) -> None:
    sheet = _sheet(book, "失信惩戒")
    _put(sheet, "有效的失信惩戒记录数", sum(body.bars_in_force.values()), COUNT)
    _counts(sheet, "适用范围：", labels.SCOPE_NAMES, body.bars_in_force)


def _filters(
    book: Workbook,
    level: str,
    year: int,
    quarter: int | None,
    area: str | None,
    export: Export,
    more: Iterable[tuple[str, object]] = (),
) -> None:
    xlsx.filters(
        book,
        (
            ("范围", labels.LEVEL_NAMES[level]),
            ("地区", export.region),
            ("年度", year),
            ("季度", f"第{quarter}季度" if quarter else "全年"),
            ("项目领域", named(labels.PROGRAMME_AREA_NAMES, area) if area else "全部"),
            *more,
            ("导出时间", xlsx.exported_at()),
            ("导出人角色", labels.roles(export.roles)),
        ),
    )


def figures(body: StatisticsOut, export: Export, suppress_below: int) -> bytes:
    book = xlsx.book()
    for sheet in (
        _budget,
        _procurements,
        _awards,
        _contracts,
        _service,
        _quality,
        _providers,
        _bars,
    ):
        sheet(book, body)
    notes = [
        ("说明", "服务机构、失信惩戒为全年数，不受季度和项目领域筛选影响"),
    ]
    if body.level == "county":
        notes.append(("已隐去", f"县级服务人数少于{suppress_below}人的不显示"))
    _filters(book, body.level, body.year, body.quarter, body.programme_area, export, notes)
    return xlsx.saved(book)


def rows(
    found: list[RowOut],
    cut: int | None,
    level: str,
    metric: str,
    year: int,
    quarter: int | None,
    area: str | None,
    export: Export,
) -> bytes:
    """The rows one figure counts; ``cut``: the cap, when there were more rows than it."""
    book = xlsx.book()
    sheet = xlsx.table(book, "明细", ROW_HEADERS, ROW_WIDTHS)
    value_format = (
        YUAN
        if metric in labels.MONEY_METRICS
        else HOURS
        if metric in labels.HOURS_METRICS
        else COUNT
    )
    for row in found:
        sheet.append(
            (
                named(labels.KIND_NAMES, row.kind),
                str(row.id),
                row.title,
                labels.dimension(metric, row.dimension),
                row.quarter or "全年",
                named(labels.PROGRAMME_AREA_NAMES, row.programme_area),
                float(Decimal(row.value)),
            )
        )
        sheet.cell(sheet.max_row, 7).number_format = value_format
    note = f"仅列出前{cut}行：行数超过上限，请按季度或项目领域缩小范围" if cut else None
    if note:
        sheet.append(("说明", note))
    more: list[tuple[str, object]] = [
        ("指标", named(labels.METRIC_NAMES, metric)),
        ("行数", len(found)),
    ]
    if note:
        more.append(("说明", note))
    _filters(book, level, year, quarter, area, export, more)
    return xlsx.saved(book)
