"""HTTP routes of the statistics: a scope's aggregates, and a region's own drill-down."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, FromQuery, Parameter

from services.kit import workdays
from services.kit.errors import InvalidField
from services.kit.guard import Session
from services.kit.money import text as money_text
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.planning.schemas import ProgrammeArea
from services.statistics import reading
from services.statistics.figures import METRICS, ROWS
from services.statistics.schemas import RowOut, StatisticsOut

Year = Annotated[
    int | None,
    Parameter(ge=2000, le=2100, description="fiscal year (default: the current one)"),
]
Quarter = Annotated[int | None, Parameter(ge=1, le=4, description="quarter of the year")]
Metric = Annotated[str, Parameter(max_length=40, description="the figure to list rows of")]


def _year(year: int | None) -> int:
    return year if year is not None else datetime.now(workdays.SHANGHAI).year


def _area(area: ProgrammeArea | None) -> str | None:
    return area.value if area is not None else None


class StatisticsController(Controller):
    path = "/v1/statistics"
    tags = ["statistics"]

    @get("/national", opt={"permission": "statistics:national"})
    async def national(
        self,
        session: Session,
        year: Year = None,
        quarter: Quarter = None,
        programme_area: FromQuery[ProgrammeArea | None] = None,
    ) -> StatisticsOut:
        """The nation's figures, summed from the provinces' (the ministry viewer)."""
        fiscal_year, area = _year(year), _area(programme_area)
        found = await reading.figures(session, fiscal_year, quarter, area)
        return reading.shaped("000000", fiscal_year, quarter, area, found)

    @get(
        "/{tenant:str}",
        opt={"permission": "statistics:read", "regions": "enclosing"},
    )
    async def region(
        self,
        session: Session,
        tenant: FromPath[str],
        year: Year = None,
        quarter: Quarter = None,
        programme_area: FromQuery[ProgrammeArea | None] = None,
    ) -> StatisticsOut:
        """A region's figures with every region under it: a province rolls up its regions, a
        city its own and its counties'."""
        fiscal_year, area = _year(year), _area(programme_area)
        found = await reading.figures(session, fiscal_year, quarter, area)
        return reading.shaped(tenant, fiscal_year, quarter, area, found)

    @get("/{tenant:str}/rows", opt={"permission": "statistics:rows", "regions": "own"})
    async def rows(
        self,
        session: Session,
        tenant: FromPath[str],
        metric: Metric,
        year: Year = None,
        quarter: Quarter = None,
        programme_area: FromQuery[ProgrammeArea | None] = None,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[RowOut]:
        """The rows one of the region's own figures counts (its own users only)."""
        if metric not in METRICS:
            raise InvalidField(f"must be one of: {', '.join(METRICS)}", field="metric")
        found = await session.execute(
            ROWS,
            {
                "tenant": tenant,
                "year": _year(year),
                "metric": metric,
                "quarter": quarter,
                "area": _area(programme_area),
                "limit": limit,
                "offset": offset,
            },
        )
        items = [
            RowOut(
                kind=row.kind,
                id=row.object_id,
                title=row.title,
                dimension=row.dimension,
                quarter=int(row.quarter),
                programme_area=row.programme_area,
                value=money_text(row.value) if row.value is not None else "0.00",
            )
            for row in found
        ]
        return Page(items=items, limit=limit, offset=offset)
