"""OCDS 1.1 open data through the public API: one release per public change, no bid price before
the opening, stable ocids without a region code, cursor paging, regions kept apart in their own
feeds and together in the national one, and packages that libcoveocds finds valid."""

from __future__ import annotations

import functools
import http.server
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from services.demo.delivery import PANEL
from services.kit.db import transaction
from services.kit.publicity import PublicChange
from services.kit.settings import Settings, get_settings
from services.opendata import recording
from services.opendata.models import Release
from tests.support.acceptance import new_round
from tests.support.client import Client, json_of
from tests.support.contracts import single_source_deal
from tests.support.database import Sessions
from tests.support.demo import GZ, SZ
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

OCDS = Path(__file__).parents[1] / "fixtures" / "ocds"
STANDARD = OCDS / "standard-1__1__5.zip"
BIDS = OCDS / "extensions" / "ocds_bid_extension-v1.1.5"


async def _all(client: Client, path: str, key: str = "releases") -> list[dict[str, Any]]:
    """Every item of a feed, following its ``next`` links, without signing in."""
    found: list[dict[str, Any]] = []
    url: str | None = f"{path}?limit=200"
    while url:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        found += body[key]
        url = body.get("links", {}).get("next")
    return found


def _of(releases: list[dict[str, Any]], ocid: str) -> list[dict[str, Any]]:
    return [r for r in releases if r["ocid"] == ocid]


async def test_releases_follow_the_tender_and_hide_prices_until_the_opening(
    client: Client, gz: Tenderer, sz: Tenderer, settings: Settings
) -> None:
    procurement = await gz.published()
    pid, ocid = procurement["id"], procurement["ocid"]
    # The ocid never holds the region's code: districts merge, an ocid must not change.
    assert ocid == f"{settings.ocds_prefix}-{pid}" and GZ not in ocid
    bidders = [await gz.bidder() for _ in range(3)]
    for bidder, price in zip(bidders, ("300000", "310000", "320000"), strict=True):
        await gz.bid(pid, bidder, price)

    before = _of(await _all(client, f"/v1/open-data/{GZ}/releases"), ocid)
    assert [r["tag"] for r in before] == [["planning"], ["tender"]]
    tender = before[1]["tender"]
    assert tender["procurementMethod"] == "open"
    assert tender["procurementMethodDetails"] == "公开招标"
    assert tender["awardCriteria"] == "ratedCriteria"
    text = json.dumps(before, ensure_ascii=False)
    assert "300000" not in text and "310000" not in text and '"bids"' not in text

    await gz.open_now(pid, await gz.closed(pid))
    await gz.qualified(pid)
    await gz.scored_by_committee(pid)
    await gz.award_and_publish(pid)
    after = _of(await _all(client, f"/v1/open-data/{GZ}/releases"), ocid)
    assert [r["tag"] for r in after] == [["planning"], ["tender"], ["award"]]
    award = after[2]
    statistics = {s["measure"]: s["value"] for s in award["bids"]["statistics"]}
    assert statistics == {"bids": 3, "validBids": 3}
    (winner,) = award["awards"]
    assert winner["status"] == "active" and winner["value"]["currency"] == "CNY"
    (supplier,) = [p for p in award["parties"] if "supplier" in p["roles"]]
    assert supplier["identifier"]["scheme"] == "CN-USCI"

    # The record compiles the releases: the award and the tender, merged.
    records = _of(await _all(client, f"/v1/open-data/{GZ}/records", "records"), ocid)
    (record,) = records
    assert len(record["releases"]) == 3
    assert record["compiledRelease"]["awards"][0]["id"] == winner["id"]
    assert record["compiledRelease"]["tender"]["status"] == "complete"

    # Another region's feed does not hold it; the national feed holds both cities.
    elsewhere = await sz.published()
    assert not _of(await _all(client, f"/v1/open-data/{SZ}/releases"), ocid)
    national = await _all(client, "/v1/open-data/releases")
    assert _of(national, ocid) and _of(national, elsewhere["ocid"])
    assert not _of(await _all(client, f"/v1/open-data/{GZ}/releases"), elsewhere["ocid"])
    for path in ("releases", "records", "releases/2026"):
        assert (await client.get(f"/v1/open-data/999999/{path}")).status_code == 404


async def test_a_cursor_returns_only_later_releases(client: Client, gz: Tenderer) -> None:
    await gz.published()
    await gz.published()
    everything = await _all(client, f"/v1/open-data/{GZ}/releases")
    first = await client.get(f"/v1/open-data/{GZ}/releases", params={"limit": 2})
    body = first.json()
    assert [r["id"] for r in body["releases"]] == [r["id"] for r in everything[:2]]
    following = await client.get(body["links"]["next"].replace("limit=2", "limit=3"))
    assert [r["id"] for r in following.json()["releases"]] == [r["id"] for r in everything[2:5]]
    assert following.headers["link"].endswith('rel="next"')

    # The last page still links on: there, later changes will come.
    last = await client.get(f"/v1/open-data/{GZ}/releases", params={"limit": 200})
    while last.json()["releases"]:
        tail = last.json()["links"]["next"]
        last = await client.get(tail)
    assert "links" not in last.json()
    created = await gz.published()
    later = (await client.get(tail)).json()["releases"]
    assert [r["ocid"] for r in later] == [created["ocid"]] * 2

    refused = await client.get(f"/v1/open-data/{GZ}/releases", params={"since": "nonsense"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "since"


async def test_the_same_change_twice_adds_no_release(
    client: Client, gz: Tenderer, sessionmaker: Sessions
) -> None:
    procurement = await gz.published()
    (tender,) = [
        r
        for r in _of(await _all(client, f"/v1/open-data/{GZ}/releases"), procurement["ocid"])
        if r["tag"] == ["tender"]
    ]
    notice_id = uuid.UUID(tender["id"].rsplit("tender-", 1)[1])
    async with transaction(sessionmaker, GZ) as session:
        count = select(func.count()).select_from(Release).where(Release.ocid == procurement["ocid"])
        before = await session.scalar(count)
        change = PublicChange(
            GZ,
            uuid.UUID(procurement["id"]),
            "tender",
            notice_id,
            datetime.fromisoformat(tender["date"]),
        )
        await recording.record_change(session, change)
        await recording.record_change(session, change)
        assert await session.scalar(count) == before == 2


async def test_a_year_downloads_as_one_release_package(client: Client, gz: Tenderer) -> None:
    procurement = await gz.published()
    year = int((await _all(client, f"/v1/open-data/{GZ}/releases"))[-1]["date"][:4])
    response = await client.get(f"/v1/open-data/{GZ}/releases/{year}")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    package = json.loads(response.content)
    assert package["version"] == "1.1"
    assert _of(package["releases"], procurement["ocid"])


def _cove(package: dict[str, Any], tmp_path: Path, name: str) -> dict[str, Any]:
    path = tmp_path / name
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [
            sys.executable,
            "-m",
            "tests.support.ocds",
            "--standard-zip",
            str(STANDARD.resolve()),
            "-s",
            "1.1",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture
def bids_extension_url() -> Iterator[str]:
    """The vendored bids extension, served on loopback for libcoveocds to fetch."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(BIDS.resolve()))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/extension.json"
    finally:
        server.shutdown()
        server.server_close()


async def test_the_demo_contract_validates_against_ocds_1_1(
    client: Client, gz: Tenderer, tmp_path: Path, bids_extension_url: str
) -> None:
    # The demo's contract was bought from a single source: an open tender brings bid counts.
    tendered, _ = await gz.with_result()
    feed = await client.get(f"/v1/open-data/{GZ}/releases", params={"limit": 1})
    package = feed.json()
    releases = await _all(client, f"/v1/open-data/{GZ}/releases")
    contracted = [r["ocid"] for r in releases if r["tag"] == ["implementation"]]
    assert contracted, "the demo has a project paid under its contract"
    ocid = contracted[0]
    mine = _of(releases, ocid)
    # A single source below the threshold publishes no notice before its result (74号令
    # art. 38): its tender shows first in the award's release, as a direct purchase.
    assert {t for r in mine for t in r["tag"]} >= {"planning", "award", "contract"}
    [award] = [r for r in mine if r["tag"] == ["award"]]
    assert award["tender"]["procurementMethod"] == "direct"
    assert award["tender"]["procurementMethodRationale"]
    transactions = [
        t
        for r in mine
        for c in r.get("contracts", [])
        for t in c.get("implementation", {}).get("transactions", [])
    ]
    assert transactions and all(t["payer"]["id"].startswith("funder-") for t in transactions)

    (counted,) = {r["ocid"] for r in releases if r.get("tender", {}).get("id") == tendered}
    mine += _of(releases, counted)
    assert any("bids" in r for r in mine)
    # The demo's project that went all the way: its acceptance passed and was published, the
    # first of the region's (the pages are in publication order; other tests publish later).
    accepted = next(r["ocid"] for r in releases if "-acceptance-" in r["id"])
    if accepted not in (ocid, counted):
        mine += _of(releases, accepted)
    release_package = {k: v for k, v in package.items() if k != "links"} | {"releases": mine}
    records = await _all(client, f"/v1/open-data/{GZ}/records", "records")
    record_package = {k: v for k, v in package.items() if k not in ("links", "releases")} | {
        "records": [r for r in records if r["ocid"] in {ocid, counted, accepted}]
    }
    (completed,) = _of(records, accepted)
    (contract,) = completed["compiledRelease"]["contracts"]
    # Completed: OCDS's contractStatus calls a contract closed by its completion terminated.
    assert contract["status"] == "terminated"
    milestones = {m["type"]: m for m in contract["implementation"]["milestones"]}
    acceptance = milestones["delivery"]
    assert (acceptance["title"], acceptance["status"]) == ("履约验收", "met")
    assert acceptance["dateMet"].endswith("T00:00:00+08:00")
    # Paid in full after the acceptance: the payment's release leaves the milestone be.
    assert milestones["payment"]["status"] == "met"
    # No public address configured here: no link, and no panel member's name anywhere.
    assert "documents" not in contract["implementation"]
    text = json.dumps(completed, ensure_ascii=False)
    assert not [name for _, _, name in PANEL if name in text]
    for name, made in (("releases.json", release_package), ("records.json", record_package)):
        result = _cove(made, tmp_path, name)
        assert result["validation_errors"] == [], (name, result["validation_errors"])
        assert not result["additional_closed_codelist_values"], name

    # The bids extension, offline: served here, its fields are checked too.
    extended = release_package | {"extensions": [bids_extension_url]}
    result = _cove(extended, tmp_path, "extended.json")
    assert result["extensions"]["is_extended_schema"] is True
    assert not result["extensions"]["invalid_extension"]
    assert result["validation_errors"] == []
    assert not result["additional_closed_codelist_values"]
    # And it could fail: a statistic given as a string is an error.
    broken = json.loads(json.dumps(extended))
    with_bids = next(r for r in broken["releases"] if "bids" in r)
    with_bids["bids"]["statistics"][0]["value"] = "three"
    assert _cove(broken, tmp_path, "broken.json")["validation_errors"]


PUBLIC = "https://ggzy.example.gov.cn"


@pytest.fixture
def public_base_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The platform told its public address (PUBLIC_BASE_URL), for this test only."""
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC + "/")
    get_settings.cache_clear()
    yield PUBLIC
    monkeypatch.delenv("PUBLIC_BASE_URL")
    get_settings.cache_clear()


async def test_a_failed_acceptance_is_a_delivery_milestone_not_met(
    client: Client, gz: Tenderer, settings: Settings, tmp_path: Path, public_base_url: str
) -> None:
    deal = await single_source_deal(gz, price="300000")
    await deal.signed()
    first = await new_round(deal)
    await first.full_panel(passed=False)
    failed = first.body["standards"][0]
    json_of(await first.conclude(failed=(failed["seq"],), days=10))
    published = await first.signed_by_both()
    notice_id = published["notice_id"]

    ocid = f"{settings.ocds_prefix}-{deal.procurement_id}"
    body = json_of(await client.get(f"/v1/open-data/{GZ}/records", params={"ocid": ocid}))
    (record,) = body["records"]
    (release,) = [r for r in record["releases"] if r["id"] == f"{ocid}-acceptance-{notice_id}"]
    assert release["tag"] == ["implementation"]
    (contract,) = record["compiledRelease"]["contracts"]
    # A fail does not complete the contract: it stays in force, rectifications under way.
    assert contract["id"] == deal.contract["id"] and contract.get("status") != "terminated"
    (milestone,) = contract["implementation"]["milestones"]
    assert (milestone["type"], milestone["title"], milestone["status"]) == (
        "delivery",
        "履约验收",
        "notMet",
    )
    assert "dateMet" not in milestone and milestone["dateModified"].endswith("+08:00")
    assert failed["name"] in milestone["description"]
    # The notice itself, linked where anyone reads it.
    (document,) = contract["implementation"]["documents"]
    assert document["documentType"] == "physicalProgressReport"
    assert document["url"] == f"{public_base_url}/v1/notices/{notice_id}"
    notice = json_of(await client.get(document["url"].removeprefix(public_base_url)))
    assert "不合格" in notice["body"]
    # Only what the notice published: no panel member's name.
    text = json.dumps(record, ensure_ascii=False)
    assert first.members and not [m for m in first.members if m.display_name in text]

    result = _cove({k: v for k, v in body.items() if k != "links"}, tmp_path, "failed.json")
    assert result["validation_errors"] == []
    assert not result["additional_closed_codelist_values"]
