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

from services.kit.db import transaction
from services.kit.publicity import PublicChange
from services.kit.settings import Settings
from services.opendata import recording
from services.opendata.models import Release
from tests.support.client import Client
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
    release_package = {k: v for k, v in package.items() if k != "links"} | {"releases": mine}
    records = await _all(client, f"/v1/open-data/{GZ}/records", "records")
    record_package = {k: v for k, v in package.items() if k not in ("links", "releases")} | {
        "records": _of(records, ocid) + _of(records, counted)
    }
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
