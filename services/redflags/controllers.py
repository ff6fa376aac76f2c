"""HTTP routes of the red flags: the nation's for the ministry, a scope's for its viewers and
the region's own supervisors, each as JSON or as an .xlsx download."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import FromPath, Parameter
from litestar.response import Response

from services.kit.guard import Session
from services.kit.money import text as money_text
from services.kit.workbook import XLSX, download
from services.opendata import service as opendata
from services.redflags import reading
from services.redflags.indicators import NAMES, Flag, Indicator
from services.redflags.schemas import RedFlagOut, RedFlagsOut
from services.redflags.workbook import workbook

NATION = "000000"
Year = Annotated[int | None, Parameter(ge=2000, le=2100, description="the year (Asia/Shanghai)")]
Region = Annotated[
    str | None,
    Parameter(pattern=r"^\d{6}$", description="only this division and the regions under it"),
]
Which = Annotated[Indicator | None, Parameter(description="only this indicator")]


def _out(request: Request[Any, Any, Any], flag: Flag, names: dict[str, str]) -> RedFlagOut:
    base = str(request.base_url).rstrip("/")
    return RedFlagOut(
        indicator=flag.indicator.value,
        name=NAMES[flag.indicator],
        region=flag.tenant,
        region_name=names.get(flag.tenant, flag.tenant),
        year=flag.year,
        ocid=flag.ocid,
        title=flag.title,
        value=str(flag.value),
        threshold=str(flag.threshold),
        unit=flag.unit.value,
        supplier=flag.supplier,
        amount=money_text(flag.amount) if flag.amount is not None else None,
        instalment=flag.instalment,
        record_url=base + opendata.record_path(flag.tenant, flag.ocid),
    )


async def _body(
    request: Request[Any, Any, Any], session: Session, scope: str, filters: reading.Filters
) -> RedFlagsOut:
    found = await reading.red_flags(session, scope, filters)
    names = await reading.region_names(session, {f.tenant for f in found})
    return RedFlagsOut(
        scope="national" if scope == NATION else scope,
        year=filters.year,
        region=filters.region,
        indicator=filters.indicator.value if filters.indicator else None,
        flags=[_out(request, f, names) for f in found],
    )


async def _download(session: Session, body: RedFlagsOut, scope: str) -> Response[bytes]:
    if scope == NATION:
        name = "全国"
    else:
        name = (await reading.region_names(session, {scope}))[scope] + f"（{scope}）"
    return download(workbook(body, name), f"预警信号-{name}.xlsx", f"red-flags-{scope}.xlsx")


class RedFlagController(Controller):
    path = "/v1"
    tags = ["red flags"]

    @get("/red-flags", opt={"permission": "red_flags:national"})
    async def national(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        year: Year = None,
        region: Region = None,
        indicator: Which = None,
    ) -> RedFlagsOut:
        """Every region's red flags (the ministry viewer), by year, division and indicator."""
        return await _body(request, session, NATION, reading.Filters(year, region, indicator))

    @get("/red-flags.xlsx", media_type=XLSX, opt={"permission": "red_flags:national"})
    async def national_xlsx(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        year: Year = None,
        region: Region = None,
        indicator: Which = None,
    ) -> Response[bytes]:
        """The same list as an Excel workbook, with a sheet naming the filters used."""
        filters = reading.Filters(year, region, indicator)
        body = await _body(request, session, NATION, filters)
        return await _download(session, body, NATION)

    @get(
        "/red-flags/{tenant:str}",
        opt={"permission": "red_flags:read", "regions": "enclosing"},
    )
    async def region(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        tenant: FromPath[str],
        year: Year = None,
        indicator: Which = None,
    ) -> RedFlagsOut:
        """The red flags of a division and the regions under it: a province viewer's province,
        a region's own supervisors' region."""
        filters = reading.Filters(year, None, indicator)
        return await _body(request, session, tenant, filters)

    @get(
        "/red-flags/{tenant:str}/red-flags.xlsx",
        media_type=XLSX,
        opt={"permission": "red_flags:read", "regions": "enclosing"},
    )
    async def region_xlsx(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        tenant: FromPath[str],
        year: Year = None,
        indicator: Which = None,
    ) -> Response[bytes]:
        """The same list as an Excel workbook, with a sheet naming the filters used."""
        body = await _body(request, session, tenant, reading.Filters(year, None, indicator))
        return await _download(session, body, tenant)
