"""Red flags for supervisors (issue 14): a scripted single valid bid and a price at the ceiling
in 广州 are flagged from the published OCDS data once the sweep has measured 广州, each linking
to its public record; the ministry sees every region, a province viewer its own province only,
a region's supervisors their own region; the .xlsx download carries the same list with its
formats and filters."""

from __future__ import annotations

import random
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import dramatiq
import pytest
from openpyxl import load_workbook

from tests.support.accounts import grant, open_account
from tests.support.client import Client, Login, json_of
from tests.support.database import Sessions
from tests.support.demo import GD, GZ, ROLE_LOGINS, SZ, city_login
from tests.support.redflags import awarded_at_ceiling, measured, single_valid_bid
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

PASSWORD = "RedFlags2026pass"
MINISTRY = ROLE_LOGINS["ministry_viewer"]
GD_VIEWER = ROLE_LOGINS["province_viewer"]


def by_ocid(body: dict[str, Any], ocid: str) -> dict[str, dict[str, Any]]:
    """The flags of one procurement, by indicator."""
    return {f["indicator"]: f for f in body["flags"] if f["ocid"] == ocid}


async def fresh_province(client: Client, platform: dict[str, str]) -> str:
    """A province of this test's own, with a city under it."""
    for prefix in random.sample(range(60, 99), 39):
        code = f"{prefix}0000"
        created = await client.post(
            "/v1/platform/tenants", headers=platform, json={"code": code, "name": f"预警省{prefix}"}
        )
        if created.status_code == 201:
            city = await client.post(
                "/v1/platform/tenants",
                headers=platform,
                json={"code": f"{prefix}0100", "name": "预警市"},
            )
            assert city.status_code == 201, city.text
            return code
    raise AssertionError("no free province code")


async def test_flags_reach_who_supervises_them(
    client: Client, login: Login, gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    single, ceiling = await single_valid_bid(gz), await awarded_at_ceiling(gz)
    await measured(sessionmaker, broker)
    ministry, viewer = await login(MINISTRY), await login(GD_VIEWER)

    national = json_of(await client.get("/v1/red-flags", headers=ministry, params={"region": GZ}))
    flag = by_ocid(national, single)["R018"]
    assert flag["name"] == "仅有一家有效投标（响应）"
    assert (flag["region"], flag["region_name"]) == (GZ, "广州市")
    assert (flag["value"], flag["threshold"], flag["unit"]) == ("1", "1", "bids")
    assert flag["title"] and flag["amount"] is None
    at_ceiling = by_ocid(national, ceiling)
    assert "R018" not in at_ceiling  # three valid bids
    flag = at_ceiling["price_at_ceiling"]
    assert (flag["value"], flag["threshold"], flag["unit"]) == ("0.9914", "0.99", "share")
    assert flag["amount"] == "347000.00" and flag["supplier"]
    assert "price_at_ceiling" not in by_ocid(national, single)  # never awarded

    # Each flag links to its procurement's public record, read without signing in.
    link = urlsplit(flag["record_url"])
    assert link.path == f"/v1/open-data/{GZ}/records"
    record = json_of(await client.get(f"{link.path}?{link.query}"))
    assert [r["ocid"] for r in record["records"]] == [ceiling]
    assert record["records"][0]["compiledRelease"]["awards"][0]["value"]["amount"] == 347000
    elsewhere_record = json_of(await client.get(f"/v1/open-data/{SZ}/records?{link.query}"))
    assert elsewhere_record["records"] == []  # 深圳's feed does not hold 广州's procurement

    # Filters: the indicator, the year, the region.
    only = json_of(
        await client.get(
            "/v1/red-flags", headers=ministry, params={"region": GZ, "indicator": "R018"}
        )
    )
    assert {f["indicator"] for f in only["flags"]} == {"R018"} and by_ocid(only, single)
    year = flag["year"]
    for wanted, present in ((year, True), (year + 1, False)):
        found = json_of(
            await client.get("/v1/red-flags", headers=ministry, params={"year": wanted})
        )
        assert bool(by_ocid(found, ceiling)) is present
    elsewhere = json_of(await client.get("/v1/red-flags", headers=ministry, params={"region": SZ}))
    assert {f["region"] for f in elsewhere["flags"]} <= {SZ}

    # The province viewer: 广东's flags, 广州's among them; the ministry's own route is not its.
    province = json_of(await client.get(f"/v1/red-flags/{GD}", headers=viewer))
    assert by_ocid(province, single) and by_ocid(province, ceiling)
    assert {f["region"][:2] for f in province["flags"]} == {GD[:2]}
    assert (await client.get("/v1/red-flags", headers=viewer)).status_code == 403

    # 广州's own supervisors see 广州's; 深圳's see theirs only and 广州's is 404 to them.
    for role in ("civil_affairs_officer", "finance_approver"):
        own = json_of(
            await client.get(f"/v1/red-flags/{GZ}", headers=await login(city_login(role)))
        )
        assert by_ocid(own, single) and by_ocid(own, ceiling)
    sz_finance = await login(city_login("finance_officer", SZ))
    assert (await client.get(f"/v1/red-flags/{GZ}", headers=sz_finance)).status_code == 404
    assert (await client.get(f"/v1/red-flags/{GD}", headers=sz_finance)).status_code == 404
    theirs = json_of(await client.get(f"/v1/red-flags/{SZ}", headers=sz_finance))
    assert {f["region"] for f in theirs["flags"]} <= {SZ}
    assert not by_ocid(theirs, single)


async def test_another_province_is_404_to_a_province_viewer(client: Client, login: Login) -> None:
    platform = await login(ROLE_LOGINS["platform_admin"])
    other = await fresh_province(client, platform)
    _, email = await open_account(client, platform, PASSWORD, tenant=other, prefix="viewer")
    await grant(client, platform, other, email, "province_viewer")
    other_viewer, viewer = await login(email, PASSWORD), await login(GD_VIEWER)
    for scope in (GD, GZ):
        assert (await client.get(f"/v1/red-flags/{scope}", headers=other_viewer)).status_code == 404
    assert (await client.get(f"/v1/red-flags/{other}", headers=viewer)).status_code == 404
    mine = json_of(await client.get(f"/v1/red-flags/{other}", headers=other_viewer))
    assert mine["scope"] == other and mine["flags"] == []
    xlsx = f"/v1/red-flags/{GZ}/red-flags.xlsx"
    assert (await client.get(xlsx, headers=other_viewer)).status_code == 404


async def test_bad_filters_are_named(client: Client, login: Login) -> None:
    ministry = await login(MINISTRY)
    for params, field in (({"region": "44010"}, "region"), ({"indicator": "R999"}, "indicator")):
        response = await client.get("/v1/red-flags", headers=ministry, params=params)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.text


async def test_the_list_downloads_as_excel(
    client: Client, login: Login, gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    ceiling = await awarded_at_ceiling(gz)
    await measured(sessionmaker, broker)
    ministry = await login(MINISTRY)
    params = {"region": GZ, "indicator": "price_at_ceiling"}
    response = await client.get("/v1/red-flags.xlsx", headers=ministry, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == ["预警信号", "筛选条件"]
    flags = book["预警信号"]
    headers = [c.value for c in flags[1]]
    assert headers[:3] == ["指标代码", "指标名称", "地区代码"]
    assert "成交金额（元）" in headers and "公开记录" in headers
    column = {name: i for i, name in enumerate(headers)}
    rows = [
        row
        for row in flags.iter_rows(min_row=2)
        if row[column["开放合同编码（OCID）"]].value == ceiling
    ]
    assert len(rows) == 1
    row = rows[0]
    assert row[column["指标名称"]].value == "成交价贴近最高限价"
    assert row[column["指标值"]].value == pytest.approx(0.9914)
    assert row[column["指标值"]].number_format == "0.00%"
    assert row[column["阈值"]].number_format == "0.00%"
    assert row[column["成交金额（元）"]].value == 347000
    assert "元" in row[column["成交金额（元）"]].number_format
    assert str(row[column["公开记录"]].value).endswith(f"/v1/open-data/{GZ}/records?ocid={ceiling}")
    used = {r[0].value: r[1].value for r in book["筛选条件"].iter_rows(min_row=2)}
    assert used["范围"] == "全国" and used["地区代码"] == GZ
    assert used["指标"] == "price_at_ceiling" and used["年度"] == "全部"

    # A region's own download names its scope; another region's is 404.
    gz_civil = await login(city_login("civil_affairs_officer"))
    own = await client.get(f"/v1/red-flags/{GZ}/red-flags.xlsx", headers=gz_civil)
    assert own.status_code == 200
    scope = {
        r[0].value: r[1].value
        for r in load_workbook(BytesIO(own.content))["筛选条件"].iter_rows(min_row=2)
    }
    assert scope["范围"] == f"广州市（{GZ}）"
    sz_civil = await login(city_login("civil_affairs_officer", SZ))
    assert (
        await client.get(f"/v1/red-flags/{GZ}/red-flags.xlsx", headers=sz_civil)
    ).status_code == 404
