"""The published rules of a third-party evaluation: the score sheet, the grade thresholds and
when the follow-up falls due. Stated in the README; nothing here reads the database.

The sheet (100 points): project management, service effect and use of funds, each for the
process and the outcome, then social and economic benefit. Grades by the total:
优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, 不合格 < 60.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from services.planning.service import EvaluationGrade

CHINA = ZoneInfo("Asia/Shanghai")

# Dimension → (maximum points, 中文).
DIMENSIONS: dict[str, tuple[Decimal, str]] = {
    "management_process": (Decimal(10), "项目管理（过程）"),
    "management_outcome": (Decimal(10), "项目管理（结果）"),
    "effect_process": (Decimal(15), "服务成效（过程）"),
    "effect_outcome": (Decimal(20), "服务成效（结果）"),
    "funds_process": (Decimal(10), "资金使用（过程）"),
    "funds_outcome": (Decimal(10), "资金使用（结果）"),
    "social_benefit": (Decimal(15), "社会效益"),
    "economic_benefit": (Decimal(10), "经济效益"),
}
assert sum(maximum for maximum, _ in DIMENSIONS.values()) == 100

# Lowest total of each grade, best first.
THRESHOLDS: tuple[tuple[Decimal, EvaluationGrade], ...] = (
    (Decimal(90), EvaluationGrade.excellent),
    (Decimal(80), EvaluationGrade.good),
    (Decimal(60), EvaluationGrade.pass_),
    (Decimal(0), EvaluationGrade.fail),
)
GRADE_NAMES = {
    EvaluationGrade.excellent: "优秀",
    EvaluationGrade.good: "良好",
    EvaluationGrade.pass_: "合格",
    EvaluationGrade.fail: "不合格",
}


def grade_for(total: Decimal) -> EvaluationGrade:
    for lowest, grade in THRESHOLDS:
        if total >= lowest:
            return grade
    return EvaluationGrade.fail


def total_of(scores: dict[str, Decimal]) -> Decimal:
    return sum((scores[name] for name in DIMENSIONS), Decimal(0)).quantize(Decimal("0.01"))


def china_day(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def add_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later; the month's last day when it has none
    (民法典 art. 202: 没有对应日的，月末日为期间的最后一日)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_due(confirmed_at: datetime, months: int) -> datetime:
    """The follow-up evaluation is due when ``months`` after the confirmation have run: the
    period starts the day after the confirmation's day (民法典 art. 201), its last day is the
    corresponding day ``months`` later (art. 202), and it ends at 24:00 Asia/Shanghai of that
    day (art. 203) — the moment returned, in UTC."""
    last_day = add_months(china_day(confirmed_at), months)
    end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=CHINA)
    return end.astimezone(UTC)
