"""The dashboard in a real browser that cannot reach the internet (issue 14).

The demo ministry viewer and 广东省's province viewer sign in on /dashboard; the figures, the
charts, the regions side by side, the drill-down into a region and the red flags they see are
compared with what the API answers the same user. Chromium is Debian's (tests/support/browser).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import dramatiq
import httpx
import pytest
from openpyxl import load_workbook

from services.demo.tenants import DEMO_PASSWORD
from services.kit.settings import Settings
from tests.support.browser import CHROMIUM, Watch, live_app
from tests.support.client import json_of
from tests.support.database import Sessions
from tests.support.demo import GD, GZ, ROLE_LOGINS, city_login
from tests.support.planning import YEAR
from tests.support.redflags import measured
from tests.support.statistics import refreshed
from tests.support.tendering import Tenderer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium here: apt-get install -y chromium fonts-noto-cjk"
)

MINISTRY = ROLE_LOGINS["ministry_viewer"]
GD_VIEWER = ROLE_LOGINS["province_viewer"]
METHODS = {
    "open_tender": "公开招标",
    "invited_tender": "邀请招标",
    "competitive_negotiation": "竞争性谈判",
    "competitive_consultation": "竞争性磋商",
    "single_source": "单一来源",
}
FUNDING = {
    "general_budget": "一般公共预算",
    "lottery_welfare_fund": "福利彩票公益金",
    "central_special_fund": "中央财政专项资金",
    "social_funds": "社会资金",
}


@pytest.fixture(scope="module")
def live_server(settings: Settings, demo: None) -> Iterator[str]:
    yield from live_app(settings)


@pytest.fixture
async def flagged(gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker) -> str:
    """An open tender in 广州 that failed with one valid bid (a red flag, R018), and every
    region's statistics and red flags brought up to date. The ocid."""
    procurement = await gz.published()
    pid = procurement["id"]
    for price in ("300000", "310000", "320000"):
        await gz.bid(pid, await gz.bidder(), price)
    await gz.open_now(pid, await gz.closed(pid))
    officer = await gz.as_("civil_affairs_officer")
    verdicts = (await gz.review_of(pid, officer))["verdicts"]
    json_of(
        await gz.review(
            pid, "qualification", officer, {v["bid_id"]: "资质不符" for v in verdicts[:2]}
        )
    )
    await refreshed(sessionmaker, broker)
    await measured(sessionmaker, broker)
    return str(procurement["ocid"])


# --- what a user should see, formatted as the page promises ----------------------------------
def money(text: str) -> str:
    whole, _, cents = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{cents} 元"


def share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def people(count: dict[str, Any]) -> str:
    return "已隐去" if count["suppressed"] else f"{count['value']:,}"


def headline(figures: dict[str, Any]) -> dict[str, str]:
    return {
        "budget_approved": money(figures["budget_approved"]),
        "procurements": f"{figures['procurements']['total']:,}",
        "open_tender_share": share(figures["procurements"]["open_tender_share"]),
        "contracted_value": money(figures["contracts"]["contracted_value"]),
        "paid": money(figures["contracts"]["paid"]),
        "disbursement_rate": share(figures["contracts"]["disbursement_rate"]),
        "acceptance_pass_rate": share(figures["quality"]["acceptance_pass_rate"]),
        "savings_rate": share(figures["awards"]["savings_rate"]),
        "single_valid_bid_share": share(figures["procurements"]["single_valid_bid_share"]),
        "people_served": people(figures["service"]["people_served"]),
    }


class Api:
    """The API as the same user, over HTTP to the same live server."""

    def __init__(self, base: str, login: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        tokens = self.http.post("/v1/auth/login", json={"login": login, "password": DEMO_PASSWORD})
        assert tokens.status_code == 200, tokens.text
        self.http.headers["Authorization"] = f"Bearer {tokens.json()['access_token']}"

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, (path, response.text)
        return response.json()

    def regions_under(self, code: str) -> set[str]:
        """The active regions whose parent is ``code``, as the tenants list gives them."""
        found: set[str] = set()
        offset = 0
        while True:
            items = self.get("/v1/tenants", limit=200, offset=offset)["items"]
            found |= {t["code"] for t in items if t["parent_code"] == code and t["active"]}
            if len(items) < 200:
                return found
            offset += 200


# --- driving the page --------------------------------------------------------------------------
def loaded(page: Page, action: Any) -> None:
    """Do something that reloads the figures, and wait until the page shows the new ones."""
    before = page.evaluate("document.body.dataset.loaded || ''")
    action()
    page.wait_for_function(
        "previous => document.body.dataset.loaded && document.body.dataset.loaded !== previous",
        arg=before,
        timeout=30_000,
    )
    assert page.locator("#status").inner_text() == ""


def signed_in(browser: Browser, watch: Watch, base: str, login: str) -> Page:
    page = watch.attach(browser.new_context(viewport={"width": 1400, "height": 1000}).new_page())
    page.goto(f"{base}/dashboard")
    page.locator("#sign-in-view").wait_for(state="visible")
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    loaded(page, lambda: page.click("#sign-in button[type=submit]"))
    if page.input_value("#year") != str(YEAR):
        loaded(page, lambda: page.select_option("#year", str(YEAR)))
    return page


def shown_headline(page: Page) -> dict[str, str]:
    cards: dict[str, str] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#headline .figure')]
            .map(card => [card.dataset.figure, card.querySelector('.value').textContent]))"""
    )
    return cards


def series(page: Page, chart_id: str) -> list[Any]:
    """The data of the first series of the ECharts instance drawn in an element."""
    data: list[Any] = page.evaluate(
        "id => echarts.getInstanceByDom(document.getElementById(id)).getOption().series[0].data",
        chart_id,
    )
    return data


def assert_charts(page: Page, figures: dict[str, Any]) -> None:
    methods = {item["name"]: item["value"] for item in series(page, "chart-methods")}
    assert methods == {METHODS[k]: v for k, v in figures["procurements"]["by_method"].items()}
    assert methods, "the demo has procurements in its year"
    funding = {item["name"]: item["value"] for item in series(page, "chart-funding")}
    assert funding == {FUNDING[k]: float(v) for k, v in figures["budget_by_funding_source"].items()}
    assert funding
    assert series(page, "chart-grades") == list(figures["quality"]["evaluation_grades"].values())
    people_data = series(page, "chart-people")
    by_group = figures["service"]["people_served_by_target_group"]
    assert len(people_data) == len(by_group)
    for shown, count in zip(people_data, by_group.values(), strict=True):
        if count["suppressed"]:
            assert shown["value"] == "-" and shown["label"]["formatter"] == "已隐去"
        else:
            assert shown == count["value"]
    # Every chart has drawn its canvas.
    for chart_id in ("chart-methods", "chart-funding", "chart-grades", "chart-people"):
        assert page.locator(f"#{chart_id} canvas").count() == 1


def drill(page: Page, code: str) -> None:
    loaded(page, lambda: page.click(f"#regions tr[data-region='{code}'] button.region"))
    assert page.evaluate("document.body.dataset.scope") == code


def assert_flag_links(page: Page, base: str, ocid: str, region: str) -> None:
    link = page.locator(f"#flags tr[data-ocid='{ocid}'][data-indicator='R018'] a")
    href = link.get_attribute("href")
    assert href is not None
    assert urlsplit(href).path == f"/v1/open-data/{region}/records"
    record = httpx.get(href, timeout=30)  # public: no sign-in
    assert [r["ocid"] for r in record.json()["records"]] == [ocid]


def test_ministry_and_province_viewers_see_what_the_api_gives_them(
    live_server: str, flagged: str
) -> None:
    from playwright.sync_api import sync_playwright

    shots = Path(tempfile.mkdtemp(prefix="sws-dashboard-"))
    watch = Watch()
    ministry_api, viewer_api = Api(live_server, MINISTRY), Api(live_server, GD_VIEWER)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            # The ministry: the nation's figures and charts, the provinces side by side.
            page = signed_in(browser, watch, live_server, MINISTRY)
            national = ministry_api.get("/v1/statistics/national", year=YEAR)
            assert shown_headline(page) == headline(national)
            assert_charts(page, national)
            assert page.locator(f"#regions tr[data-region='{GD}']").count() == 1
            page.screenshot(path=str(shots / "ministry.png"), full_page=True)

            # Drill-down: 广东省's own figures.
            drill(page, GD)
            province = ministry_api.get(f"/v1/statistics/{GD}", year=YEAR)
            assert shown_headline(page) == headline(province)
            assert_charts(page, province)

            # The red flags of the flag's year, each linking to the public record.
            flags = ministry_api.get(f"/v1/red-flags/{GD}")["flags"]
            flag_year = next(f["year"] for f in flags if f["ocid"] == flagged)
            loaded(page, lambda: page.select_option("#year", str(flag_year)))
            shown = page.locator("#flags tbody tr").count()
            assert shown == len(ministry_api.get(f"/v1/red-flags/{GD}", year=flag_year)["flags"])
            assert_flag_links(page, live_server, flagged, GZ)

            # Signing out forgets the tokens.
            page.click("#sign-out")
            page.locator("#sign-in-view").wait_for(state="visible")
            assert page.evaluate("sessionStorage.length") == 0

            # The province viewer: 广东省, its cities side by side, then 广州市.
            page = signed_in(browser, watch, live_server, GD_VIEWER)
            assert page.evaluate("document.body.dataset.scope") == GD
            own = viewer_api.get(f"/v1/statistics/{GD}", year=YEAR)
            assert shown_headline(page) == headline(own)
            assert_charts(page, own)
            cities = page.evaluate(
                "[...document.querySelectorAll('#regions tbody tr')].map(r => r.dataset.region)"
            )
            assert {GZ, "440300"} <= set(cities)
            assert all(code[:2] == GD[:2] for code in cities)
            gz_row = page.locator(f"#regions tr[data-region='{GZ}'] td")
            gz_figures = viewer_api.get(f"/v1/statistics/{GZ}", year=YEAR)
            assert gz_row.nth(2).inner_text() == money(gz_figures["budget_approved"])
            page.screenshot(path=str(shots / "province.png"), full_page=True)
            token = page.evaluate("sessionStorage.getItem('sws.dashboard.access')")

            # An expired access token: the page's calls share one refresh (a refresh token
            # used twice would end the sign-in) and the figures load again.
            page.evaluate("sessionStorage.setItem('sws.dashboard.access', 'expired')")
            loaded(page, lambda: page.select_option("#quarter", "1"))
            refused = [e for e in watch.console_errors if "401" in e]
            assert refused, "the expired token was sent"
            watch.console_errors = [e for e in watch.console_errors if e not in refused]
            assert page.evaluate("sessionStorage.getItem('sws.dashboard.access')") != "expired"
            assert shown_headline(page) == headline(
                viewer_api.get(f"/v1/statistics/{GD}", year=YEAR, quarter=1)
            )
            loaded(page, lambda: page.select_option("#quarter", ""))

            drill(page, GZ)
            assert shown_headline(page) == headline(gz_figures)
            assert_charts(page, gz_figures)
            loaded(page, lambda: page.select_option("#year", str(flag_year)))
            assert_flag_links(page, live_server, flagged, GZ)
            page.screenshot(path=str(shots / "guangzhou.png"), full_page=True)

            # The flags' Excel download: the .xlsx route's workbook, fetched with the token.
            with page.expect_download() as download:
                page.click("#flags-xlsx")
            saved = shots / "flags.xlsx"
            download.value.save_as(saved)
            assert download.value.suggested_filename.endswith(".xlsx")
            assert load_workbook(saved).sheetnames == ["预警信号", "筛选条件"]
            # The figures' Excel download: the region's statistics workbook, for the chosen year.
            with page.expect_download() as download:
                page.click("#figures-xlsx")
            saved = shots / "figures.xlsx"
            download.value.save_as(saved)
            book = load_workbook(saved)
            assert "筛选条件" in book.sheetnames and len(book.sheetnames) > 2
            used = {row[0]: row[1] for row in book["筛选条件"].iter_rows(values_only=True)}
            assert str(used["年度"]) == str(flag_year)

            # A region's own supervisor: the region, with no regions under it.
            page = signed_in(browser, watch, live_server, city_login("finance_officer"))
            assert page.evaluate("document.body.dataset.scope") == GZ
            finance_api = Api(live_server, city_login("finance_officer"))
            assert shown_headline(page) == headline(
                finance_api.get(f"/v1/statistics/{GZ}", year=YEAR)
            )
            # Its counties side by side, if other tests have made some here by now.
            under = finance_api.regions_under(GZ)
            shown = page.eval_on_selector_all(
                "#regions tr[data-region]", "rows => rows.map((r) => r.dataset.region)"
            )
            assert set(shown) == under
            assert page.locator("#regions-empty").is_visible() == (not under)

            # A user whose roles see no figures is told so, and keeps no token.
            page = watch.attach(browser.new_page())
            page.goto(f"{live_server}/dashboard")
            page.fill("#login", ROLE_LOGINS["partner_department"])
            page.fill("#password", DEMO_PASSWORD)
            page.click("#sign-in button[type=submit]")
            turned_away = page.locator("#sign-in-error")
            turned_away.filter(has_text="不能查看数据看板").wait_for()
            assert page.locator("#board").is_hidden()
            assert page.evaluate("sessionStorage.length") == 0
        finally:
            browser.close()
    print(f"dashboard screenshots: {shots}")
    assert (shots / "province.png").stat().st_size > 20_000
    assert watch.blocked == []  # nothing asked of the internet (no CDN)
    assert watch.console_errors == []
    assert token and not [url for url in watch.requested if token in url]  # never in a URL
