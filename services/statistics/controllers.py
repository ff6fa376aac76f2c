"""HTTP routes of the statistics: a scope's aggregates, and a region's own drill-down, each as
JSON or as an .xlsx download with the same permissions and region rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Response
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import workdays
from services.kit.errors import InvalidField
from services.kit.guard import Session, roles_used
from services.kit.money import text as money_text
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.kit.settings import get_settings
from services.kit.workbook import XLSX, download
from services.planning.schemas import ProgrammeArea
from services.statistics import labels, reading, workbook
from services.statistics.figures import METRICS, ROWS
from services.statistics.schemas import RowOut, StatisticsOut
from services.tenancy import service as tenancy

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


# The most rows one drill-down download lists; a note row says so when there were more.
MAX_DOWNLOAD_ROWS = 10_000


async def _figures(
    session: AsyncSession, scope: str, year: int | None, quarter: int | None, area: str | None
) -> StatisticsOut:
    fiscal_year = _year(year)
    found = await reading.figures(session, fiscal_year, quarter, area)
    return reading.shaped(scope, fiscal_year, quarter, area, found)


async def _rows(
    session: AsyncSession,
    tenant: str,
    metric: str,
    year: int,
    quarter: int | None,
    area: str | None,
    limit: int,
    offset: int,
) -> list[RowOut]:
    if metric not in METRICS:
        raise InvalidField(f"must be one of: {', '.join(METRICS)}", field="metric")
    found = await session.execute(
        ROWS,
        {
            "tenant": tenant,
            "year": year,
            "metric": metric,
            "quarter": quarter,
            "area": area,
            "limit": limit,
            "offset": offset,
        },
    )
    return [
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


async def _export(
    request: Request[Any, Any, Any], session: AsyncSession, scope: str
) -> tuple[workbook.Export, str]:
    """What the filters sheet says of the scope and the exporter, and the scope's name."""
    if scope == NATION:
        name = "全国"
        region = name
    else:
        name = (await tenancy.get_tenant(session, scope)).name
        region = f"{name}（{scope}）"
    return workbook.Export(region=region, roles=roles_used(request)), name


def _period(year: int, quarter: int | None) -> tuple[str, str]:
    """The year and quarter as the file names say them: (ASCII, Chinese)."""
    if quarter is None:
        return f"{year}", f"{year}年"
    return f"{year}-q{quarter}", f"{year}年第{quarter}季度"


NATION = "000000"


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
        return await _figures(session, NATION, year, quarter, _area(programme_area))

    @get("/national.xlsx", media_type=XLSX, opt={"permission": "statistics:national"})
    async def national_xlsx(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        year: Year = None,
        quarter: Quarter = None,
        programme_area: FromQuery[ProgrammeArea | None] = None,
    ) -> Response[bytes]:
        """The nation's figures as an Excel workbook, with a sheet naming the filters used."""
        body = await _figures(session, NATION, year, quarter, _area(programme_area))
        return await _figures_download(request, session, NATION, body)

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
        return await _figures(session, tenant, year, quarter, _area(programme_area))

    @get(
        "/{tenant:str}/statistics.xlsx",
        media_type=XLSX,
        opt={"permission": "statistics:read", "regions": "enclosing"},
    )
    async def region_xlsx(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        tenant: FromPath[str],
        year: Year = None,
        quarter: Quarter = None,
        programme_area: FromQuery[ProgrammeArea | None] = None,
    ) -> Response[bytes]:
        """A region's figures as an Excel workbook, with a sheet naming the filters used."""
        body = await _figures(session, tenant, year, quarter, _area(programme_area))
        return await _figures_download(request, session, tenant, body)

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
        items = await _rows(
            session, tenant, metric, _year(year), quarter, _area(programme_area), limit, offset
        )
        return Page(items=items, limit=limit, offset=offset)

    @get(
        "/{tenant:str}/rows.xlsx",
        media_type=XLSX,
        opt={"permission": "statistics:rows", "regions": "own"},
    )
    async def rows_xlsx(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        tenant: FromPath[str],
        metric: Metric,
        year: Year = None,
        quarter: Quarter = None,
        programme_area: FromQuery[ProgrammeArea | None] = None,
    ) -> Response[bytes]:
        """Every row one of the region's own figures counts, as an Excel workbook (at most
        ``MAX_DOWNLOAD_ROWS``, and a note row when there were more)."""
        fiscal_year, area = _year(year), _area(programme_area)
        found = await _rows(
            session, tenant, metric, fiscal_year, quarter, area, MAX_DOWNLOAD_ROWS + 1, 0
        )
        cut = MAX_DOWNLOAD_ROWS if len(found) > MAX_DOWNLOAD_ROWS else None
        export, name = await _export(request, session, tenant)
        content = workbook.rows(
            found[:MAX_DOWNLOAD_ROWS],
            cut,
            reading.level_of(tenant),
            metric,
            fiscal_year,
            quarter,
            area,
            export,
        )
        ascii_period, period = _period(fiscal_year, quarter)
        metric_name = labels.named(labels.METRIC_NAMES, metric)
        return download(
            content,
            f"统计明细-{name}-{period}-{metric_name}.xlsx",
            f"statistics-rows-{tenant}-{ascii_period}-{metric}.xlsx",
        )


async def _figures_download(
    request: Request[Any, Any, Any], session: AsyncSession, scope: str, body: StatisticsOut
) -> Response[bytes]:
    export, name = await _export(request, session, scope)
    content = workbook.figures(body, export, get_settings().statistics_suppress_below)
    ascii_period, period = _period(body.year, body.quarter)
    ascii_scope = "national" if scope == NATION else scope
    return download(
        content, f"统计-{name}-{period}.xlsx", f"statistics-{ascii_scope}-{ascii_period}.xlsx"
    )
