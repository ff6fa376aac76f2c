"""The holiday calendar the platform keeps: a year a platform administrator enters takes
precedence over the chinesecalendar package; a deadline in a year nobody entered is shown
provisional, the platform administrators are told once, and entering the year counts the
waiting procurements' deadlines again (a moved challenge deadline gets a correction notice)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import asyncpg
import dramatiq
import pytest

from services.kit import workdays
from tests.support.client import Client, inbox
from tests.support.database import Sessions
from tests.support.demo import ROLE_LOGINS
from tests.support.jobs import relay_and_run
from tests.support.shanghai import end_of, sh
from tests.support.tendering import Tenderer

CALENDARS = "/v1/platform/holiday-calendars"
MISSING = "platform.holiday_calendar_missing"
RECOMPUTED = "tendering.deadlines_recomputed"


@pytest.fixture
async def fresh_years(admin_db: asyncpg.Connection) -> AsyncIterator[None]:
    """2027 and 2028 as nobody entered them, before and after the test (other tests count
    deadlines in them too)."""
    await _forget(admin_db)
    yield
    await _forget(admin_db)


async def _forget(admin_db: asyncpg.Connection) -> None:
    await admin_db.execute("DELETE FROM holiday_calendars WHERE year IN (2027, 2028)")
    await admin_db.execute("DELETE FROM holiday_calendar_gaps WHERE year IN (2027, 2028)")


def _deadlines(procurement: dict[str, object]) -> dict[str, dict[str, object]]:
    items = procurement["deadlines"]
    assert isinstance(items, list)
    return {item["name"]: item for item in items}


async def _platform(login: object) -> dict[str, str]:
    return await login(ROLE_LOGINS["platform_admin"])  # type: ignore[operator,no-any-return]


# --- a made-up 2027 with a weekday holiday moves a working-day deadline ------------------------


@pytest.mark.usefixtures("fresh_years")
async def test_entering_2027_recomputes_a_provisional_challenge_deadline_with_a_correction(
    client: Client,
    gz: Tenderer,
    admin_db: asyncpg.Connection,
    login: object,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
) -> None:
    pid, bidders = await gz.with_result()
    # The result as if published on Monday 2027-03-01 10:00: published through Tuesday 2 Mar,
    # then 7 working days counted Monday–Friday: 3, 4, 5, 8, 9, 10, 11 March.
    await admin_db.execute(
        "UPDATE procurements SET result_published_at = $2 WHERE id = $1::uuid",
        pid,
        sh(2027, 3, 1, 10),
    )
    officer = await gz.as_("civil_affairs_officer")
    before = (await client.get(f"{gz.base}/{pid}", headers=officer)).json()
    challenge_by = _deadlines(before)["challenge_by"]
    assert datetime.fromisoformat(str(challenge_by["at"])) == end_of(date(2027, 3, 11))
    assert challenge_by["provisional"] is True

    platform = await _platform(login)
    # A made-up arrangement: Wednesday 3 March off, Saturday 6 March a make-up working day.
    entered = await client.put(
        f"{CALENDARS}/2027",
        headers=platform,
        json={
            "notice_no": "国办发明电〔2026〕99号",
            "holidays": ["2027-03-03"],
            "workdays": ["2027-03-06"],
        },
    )
    assert entered.status_code == 200, entered.text
    assert entered.json()["holidays"] == ["2027-03-03"]
    await relay_and_run(sessionmaker, broker)  # the recount runs as a job per region

    after = (await client.get(f"{gz.base}/{pid}", headers=officer)).json()
    challenge_by = _deadlines(after)["challenge_by"]
    # 4, 5, 6 (调休 Saturday), 8, 9, 10, 11 March.
    assert datetime.fromisoformat(str(challenge_by["at"])) == end_of(date(2027, 3, 11))
    assert challenge_by["provisional"] is False

    # Without the make-up Saturday the holiday pushes the end out by a day.
    again = await client.put(
        f"{CALENDARS}/2027",
        headers=platform,
        json={"notice_no": "国办发明电〔2026〕99号", "holidays": ["2027-03-03"]},
    )
    assert again.status_code == 200, again.text
    await relay_and_run(sessionmaker, broker)
    moved = (await client.get(f"{gz.base}/{pid}", headers=officer)).json()
    moved_by = datetime.fromisoformat(str(_deadlines(moved)["challenge_by"]["at"]))
    assert moved_by == end_of(date(2027, 3, 12))
    corrections = await admin_db.fetch(
        "SELECT body FROM notices WHERE procurement_id = $1::uuid AND kind = 'correction'", pid
    )
    assert len(corrections) == 1
    assert "质疑期截止时间更正为2027年03月12日" in corrections[0]["body"]
    # The buyer and the bidders (told the old date with the result) hear of the move.
    for headers in (officer, bidders[0].headers):
        told = await inbox(client, headers, RECOMPUTED)
        assert [n["data"]["year"] for n in told if n["data"]["ocid"] == before["ocid"]] == [2027]
    audited = await admin_db.fetch(
        "SELECT before, after FROM audit_log WHERE action = 'procurement.deadlines_recomputed'"
        " AND object_id = $1",
        pid,
    )
    assert len(audited) == 1  # the first entry moved nothing
    platform_chain = await admin_db.fetch(
        "SELECT after FROM audit_log WHERE action = 'holiday_calendar.entered'"
        " AND object_id = '2027' ORDER BY seq"
    )
    assert len(platform_chain) == 2


# --- provisional before, gone after; the platform administrator told once --------------------


@pytest.mark.usefixtures("fresh_years")
async def test_a_deadline_in_a_year_nobody_entered_is_provisional_and_told_once(
    client: Client, gz: Tenderer, login: object
) -> None:
    platform = await _platform(login)
    told_before = len(await inbox(client, platform, MISSING))
    created = await gz.create(bid_deadline=sh(2028, 3, 15, 9).isoformat())
    officer = await gz.as_("civil_affairs_officer")
    for _ in range(2):
        shown = (await client.get(f"{gz.base}/{created['id']}", headers=officer)).json()
        assert _deadlines(shown)["bid_deadline"]["provisional"] is True
    told = await inbox(client, platform, MISSING)
    assert len(told) == told_before + 1
    assert "2028" in told[0]["subject"]

    body = {"notice_no": "国办发明电〔2027〕1号", "holidays": []}
    entered = await client.put(f"{CALENDARS}/2028", headers=platform, json=body)
    assert entered.status_code == 200, entered.text
    shown = (await client.get(f"{gz.base}/{created['id']}", headers=officer)).json()
    assert _deadlines(shown)["bid_deadline"]["provisional"] is False
    listed = (await client.get(CALENDARS, headers=platform)).json()
    assert [c["notice_no"] for c in listed if c["year"] == 2028] == ["国办发明电〔2027〕1号"]


# --- validation and who may enter -------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"holidays": ["2026-10-01"]}, "holidays"),  # outside the year
        ({"holidays": ["2027-10-01", "2027-10-01"]}, "holidays"),
        ({"holidays": ["2027-10-09"], "workdays": ["2027-10-09"]}, "workdays"),  # both
        ({"holidays": [], "workdays": ["2027-10-08"]}, "workdays"),  # a Friday
        ({"holidays": [], "notice_no": "  "}, "notice_no"),
    ],
)
@pytest.mark.usefixtures("fresh_years")
async def test_a_wrong_arrangement_is_refused_naming_the_field_and_changes_nothing(
    client: Client, login: object, admin_db: asyncpg.Connection, body: dict[str, object], field: str
) -> None:
    response = await client.put(
        f"{CALENDARS}/2027",
        headers=await _platform(login),
        json={"notice_no": "国办发明电〔2026〕99号", **body},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.text
    assert await admin_db.fetchval("SELECT count(*) FROM holiday_calendars WHERE year = 2027") == 0


async def test_only_a_platform_administrator_enters_or_reads_the_calendar(
    client: Client, gz: Tenderer
) -> None:
    officer = await gz.as_("tenant_admin")
    body = {"notice_no": "国办发明电〔2026〕99号", "holidays": ["2027-03-03"]}
    assert (await client.put(f"{CALENDARS}/2027", headers=officer, json=body)).status_code == 403
    assert (await client.get(CALENDARS, headers=officer)).status_code == 403
    assert (await client.put(f"{CALENDARS}/2027", json=body)).status_code == 401


# --- the in-memory calendar: an entered year comes before the package --------------------------


def test_an_entered_year_takes_precedence_over_the_package() -> None:
    monday = date(2026, 6, 1)
    assert workdays.is_working_day(monday)
    assert not workdays.is_provisional(monday)
    with workdays.counting_as(2026, workdays.YearArrangement(frozenset({monday}), frozenset())):
        assert not workdays.is_working_day(monday)
        assert workdays.add_working_days(date(2026, 5, 29), 1) == date(2026, 6, 2)
    assert workdays.is_working_day(monday)


def test_a_year_nobody_knows_is_provisional_until_entered() -> None:
    day = date(2031, 5, 6)
    assert workdays.is_provisional(day)
    with workdays.counting_as(2031, workdays.YearArrangement(frozenset({day}), frozenset())):
        assert not workdays.is_provisional(day)
        assert not workdays.is_working_day(day)
    assert workdays.is_provisional(workdays.local_date(datetime(2031, 5, 6, tzinfo=UTC)))
