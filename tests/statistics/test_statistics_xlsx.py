"""Every statistics table downloads as .xlsx (issue 14, "Excel"): Chinese headers and labels,
numbers typed as numbers with the 元 and percentage formats, the figures the JSON says,
suppressed counts as 已隐去, a sheet naming the filters and the exporter's role, and the same
permissions and region rules as the JSON routes."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import quote

import asyncpg
import dramatiq
import httpx
import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.worksheet.worksheet import Worksheet

from services.statistics import controllers
from tests.support.accounts import grant, open_account
from tests.support.client import Client, Login, json_of
from tests.support.contracts import single_source_deal
from tests.support.database import Sessions
from tests.support.demo import GD, GZ, ROLE_LOGINS, SZ, city_login
from tests.support.planning import YEAR
from tests.support.statistics import fresh_province, people_served, refreshed
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

PASSWORD = "StatisticsXlsx2026pass"
MINISTRY = ROLE_LOGINS["ministry_viewer"]
GD_VIEWER = ROLE_LOGINS["province_viewer"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN = '#,##0.00"元"'
PERCENT = "0.0%"
TABLES = [
    "预算",
    "采购方式",
    "授予与节约",
    "合同与支付",
    "服务对象与服务时长",
    "验收与评估",
    "服务机构",
    "失信惩戒",
]


def workbook_of(response: httpx.Response) -> Workbook:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(XLSX)
    return load_workbook(BytesIO(response.content))


def labelled(sheet: Worksheet) -> dict[str, Cell | MergedCell]:
    """A figures sheet's value cells by their label."""
    return {str(row[0].value): row[1] for row in sheet.iter_rows(min_row=2)}


def filters_of(book: Workbook) -> dict[str, Any]:
    sheet = book["筛选条件"]
    assert [c.value for c in sheet[1]] == ["条件", "取值"]
    return {str(row[0].value): row[1].value for row in sheet.iter_rows(min_row=2)}


def refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_regions_figures_and_rows_download_as_excel(
    client: Client,
    login: Login,
    gz: Tenderer,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deal = await single_source_deal(gz)
    await deal.signed()
    await deal.paid_first_instalment()
    await refreshed(sessionmaker, broker)
    gz_civil = await login(city_login("civil_affairs_officer"))
    params = {"year": YEAR}
    shown = json_of(await client.get(f"/v1/statistics/{GZ}", headers=gz_civil, params=params))

    response = await client.get(
        f"/v1/statistics/{GZ}/statistics.xlsx", headers=gz_civil, params=params
    )
    book = workbook_of(response)
    disposition = response.headers["content-disposition"]
    assert f'filename="statistics-{GZ}-{YEAR}.xlsx"' in disposition
    assert "filename*=UTF-8''" + quote(f"统计-广州市-{YEAR}年.xlsx") in disposition
    assert book.sheetnames == [*TABLES, "筛选条件"]
    for table in TABLES:
        assert [c.value for c in book[table][1]] == ["指标", "数值"], table

    contracts = labelled(book["合同与支付"])
    assert contracts["已签订合同数"].value == shown["contracts"]["count"] >= 1
    contracted = contracts["合同金额"]
    assert contracted.value == float(shown["contracts"]["contracted_value"]) >= 336000
    assert contracted.number_format == YUAN
    assert contracts["已支付金额"].value == float(shown["contracts"]["paid"]) > 0
    rate = contracts["支付率"]
    assert rate.value == shown["contracts"]["disbursement_rate"] > 0
    assert rate.number_format == PERCENT
    budget = labelled(book["预算"])
    assert budget["批复预算合计"].value == float(shown["budget_approved"])
    lottery = shown["budget_by_funding_source"]["lottery_welfare_fund"]
    assert budget["其中：福利彩票公益金"].value == float(lottery)
    assert budget["其中：福利彩票公益金"].number_format == YUAN
    methods = labelled(book["采购方式"])
    assert methods["其中：单一来源"].value == shown["procurements"]["by_method"]["single_source"]
    assert methods["采购项目数"].value == shown["procurements"]["total"]
    kinds = labelled(book["服务机构"])
    assert kinds["其中：社会组织"].value == shown["providers"]["by_kind"]["social_organisation"]

    used = filters_of(book)
    assert used["范围"] == "市级" and used["地区"] == f"广州市（{GZ}）"
    assert used["年度"] == YEAR and used["季度"] == "全年" and used["项目领域"] == "全部"
    assert used["导出人角色"] == "民政部门经办人"
    assert str(used["导出时间"]).endswith("（北京时间）")
    assert not any("@" in str(value) for value in used.values())

    # The rows behind a figure: every one of them, typed and in Chinese.
    listed = json_of(
        await client.get(
            f"/v1/statistics/{GZ}/rows",
            headers=gz_civil,
            params={**params, "metric": "contracted_value", "limit": 200},
        )
    )["items"]
    assert len(listed) < 200
    response = await client.get(
        f"/v1/statistics/{GZ}/rows.xlsx",
        headers=gz_civil,
        params={**params, "metric": "contracted_value"},
    )
    book = workbook_of(response)
    assert (
        f'filename="statistics-rows-{GZ}-{YEAR}-contracted_value.xlsx"'
        in (response.headers["content-disposition"])
    )
    sheet = book["明细"]
    assert [c.value for c in sheet[1]] == [
        "类型",
        "编号",
        "名称",
        "维度",
        "季度",
        "项目领域",
        "数值",
    ]
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=2)}
    assert len(rows) == len(listed)
    ours = rows[deal.contract["id"]]
    assert ours[0].value == "合同"
    assert ours[6].value == 336000 and ours[6].number_format == YUAN
    used = filters_of(book)
    assert used["指标"] == "合同金额" and used["行数"] == len(listed)
    assert "说明" not in used

    # Past the cap the download lists as many rows as the cap and says it was cut.
    sources = json_of(
        await client.get(
            f"/v1/statistics/{GZ}/rows",
            headers=gz_civil,
            params={**params, "metric": "budget_approved", "limit": 200},
        )
    )["items"]
    assert len(sources) >= 2
    monkeypatch.setattr(controllers, "MAX_DOWNLOAD_ROWS", len(sources) - 1)
    cut = workbook_of(
        await client.get(
            f"/v1/statistics/{GZ}/rows.xlsx",
            headers=gz_civil,
            params={**params, "metric": "budget_approved"},
        )
    )
    values = [row for row in cut["明细"].iter_rows(min_row=2, values_only=True)]
    assert len(values) == len(sources)  # the cap's rows and the note
    assert values[-1][0] == "说明" and f"仅列出前{len(sources) - 1}行" in str(values[-1][1])
    assert all(isinstance(row[6], float | int) and row[6] > 0 for row in values[:-1])
    assert "仅列出前" in str(filters_of(cut)["说明"])


async def test_the_nations_figures_download_with_the_filters_named(
    client: Client, login: Login
) -> None:
    ministry = await login(MINISTRY)
    params: dict[str, str | int] = {
        "year": YEAR,
        "quarter": 2,
        "programme_area": "rural_left_behind",
    }
    shown = json_of(await client.get("/v1/statistics/national", headers=ministry, params=params))
    response = await client.get("/v1/statistics/national.xlsx", headers=ministry, params=params)
    book = workbook_of(response)
    assert (
        f'filename="statistics-national-{YEAR}-q2.xlsx"'
        in (response.headers["content-disposition"])
    )
    procurements = labelled(book["采购方式"])
    assert procurements["采购项目数"].value == shown["procurements"]["total"]
    used = filters_of(book)
    assert used["范围"] == "全国" and used["地区"] == "全国"
    assert used["季度"] == "第2季度" and used["项目领域"] == "农村留守人员社会保护计划"
    assert used["导出人角色"] == "民政部查询用户"

    # Only the ministry: a province viewer and a city's own users are refused.
    for who in (GD_VIEWER, city_login("civil_affairs_officer")):
        denied = await client.get(
            "/v1/statistics/national.xlsx", headers=await login(who), params=params
        )
        refused(denied, 403)


async def test_downloads_follow_the_region_rules(client: Client, login: Login) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    other = await fresh_province(client, platform)
    _, email = await open_account(client, platform, PASSWORD, tenant=other, prefix="viewer")
    await grant(client, platform, other, email, "province_viewer")
    other_viewer, viewer = await login(email, PASSWORD), await login(GD_VIEWER)
    sz_finance = await login(city_login("finance_officer", SZ))
    ministry = await login(MINISTRY)
    figures = f"/v1/statistics/{GZ}/statistics.xlsx"

    # A province viewer downloads its province's regions, named by its role.
    used = filters_of(workbook_of(await client.get(figures, headers=viewer)))
    assert used["导出人角色"] == "省级查询用户" and used["地区"] == f"广州市（{GZ}）"
    assert (
        filters_of(
            workbook_of(await client.get(f"/v1/statistics/{GD}/statistics.xlsx", headers=viewer))
        )["范围"]
        == "省级"
    )
    # Another province's viewer, and another city's own users, are told there is no such region.
    refused(await client.get(figures, headers=other_viewer), 404)
    refused(await client.get(figures, headers=sz_finance), 404)
    refused(await client.get(f"/v1/statistics/{other}/statistics.xlsx", headers=viewer), 404)

    # The rows: the region's own users only.
    rows = f"/v1/statistics/{GZ}/rows.xlsx"
    params = {"metric": "procurements"}
    refused(await client.get(rows, headers=viewer, params=params), 403)
    refused(await client.get(rows, headers=ministry, params=params), 403)
    refused(await client.get(rows, headers=sz_finance, params=params), 404)


async def test_bad_queries_are_named_problems(client: Client, login: Login) -> None:
    gz_civil, ministry = await login(city_login("civil_affairs_officer")), await login(MINISTRY)
    cases: list[tuple[str, dict[str, str], dict[str, str | int], str]] = [
        (f"/v1/statistics/{GZ}/rows.xlsx", gz_civil, {"metric": "names"}, "metric"),
        (f"/v1/statistics/{GZ}/rows.xlsx", gz_civil, {}, "metric"),
        (f"/v1/statistics/{GZ}/statistics.xlsx", gz_civil, {"year": 1999}, "year"),
        (f"/v1/statistics/{GZ}/statistics.xlsx", gz_civil, {"quarter": 5}, "quarter"),
        ("/v1/statistics/national.xlsx", ministry, {"programme_area": "x"}, "programme_area"),
    ]
    for path, headers, params, field in cases:
        response = await client.get(path, headers=headers, params=params)
        refused(response, 422)
        assert (
            field in {e["field"] for e in response.json()["errors"]}
            or field in (response.json()["detail"])
        ), response.text


async def test_small_counts_of_people_served_download_as_withheld(
    client: Client, login: Login, admin_db: asyncpg.Connection
) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    province = await fresh_province(client, platform)
    county = province[:2] + "0103"
    await people_served(admin_db, county)
    ministry = await login(MINISTRY)
    book = workbook_of(
        await client.get(
            f"/v1/statistics/{county}/statistics.xlsx", headers=ministry, params={"year": YEAR}
        )
    )
    served = labelled(book["服务对象与服务时长"])
    assert served["服务人数：留守儿童"].value == "已隐去"
    assert served["服务人数：老年人"].value == "已隐去"  # else 47 − 40 gives the children
    assert served["服务人数合计"].value == 47
    used = filters_of(book)
    assert used["范围"] == "县级" and "已隐去" in used
