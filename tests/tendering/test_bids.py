"""Bids and their opening: the deadline to the second, documents sealed by the server until the
opening, the sweep that opens what its job missed, and a bar from the credit context."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import pytest

from services.credit import service as credit
from services.kit.db import transaction
from services.kit.settings import Settings
from tests.support.client import Client, Login
from tests.support.credit import confirmed
from tests.support.database import Sessions
from tests.support.demo import GZ
from tests.support.documents import pdf
from tests.support.storage import store_client
from tests.support.tendering import Tenderer, passed, sweep

pytestmark = pytest.mark.usefixtures("demo")


async def test_a_bid_one_second_late_is_refused(
    client: Client, gz: Tenderer, admin_db: asyncpg.Connection
) -> None:
    procurement = await gz.published()
    bidder = await gz.bidder()
    await gz.moved(
        procurement["id"],
        "bid_deadline = now() - interval '1 second', opening_at = now() + interval '1 hour'",
    )
    late = await client.post(
        f"{gz.base}/{procurement['id']}/bids", headers=bidder.headers, json={"price": "300000"}
    )
    assert late.status_code == 409 and late.json()["code"] == "bid_deadline_passed"
    count = await admin_db.fetchval(
        "SELECT count(*) FROM bids WHERE tenant_id = $1 AND procurement_id = $2",
        GZ,
        uuid.UUID(procurement["id"]),
    )
    assert count == 0


BUYERS = (
    "civil_affairs_officer",
    "civil_affairs_approver",
    "finance_officer",
    "finance_approver",
    "tenant_admin",
)


async def test_a_bids_documents_are_sealed_by_the_server_until_the_opening(
    client: Client,
    gz: Tenderer,
    settings: Settings,
    admin_db: asyncpg.Connection,
) -> None:
    procurement = await gz.published()
    pid = procurement["id"]
    bidders = [await gz.bidder() for _ in range(3)]
    secret = f"技术方案 BID-SECRET-{uuid.uuid4().hex}".encode()
    content = pdf(secret)
    opening = datetime.fromisoformat(procurement["opening_at"])
    bids = [
        await gz.bid(pid, bidder, price)
        for bidder, price in zip(bidders, ("300000", "310000", "320000"), strict=True)
    ]
    # No sealed_until: sealed anyway, until the opening the procurement names.
    uploaded = await gz.attach(bidders[0].headers, bids[0]["id"], content)
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert document["sealed"] is True, document
    assert datetime.fromisoformat(document["sealed_until"]) == opening
    # A time of the client's own is refused, whatever it is, and nothing is written.
    own_time = await gz.attach(
        bidders[0].headers, bids[0]["id"], content, sealed_until=opening.isoformat()
    )
    assert own_time.status_code == 422, own_time.text
    assert own_time.json()["errors"][0]["field"] == "sealed_until"
    # Another bidder's bid, and the buyer, cannot attach to this bid.
    for headers in (bidders[1].headers, await gz.as_("civil_affairs_officer")):
        other = await gz.attach(headers, bids[0]["id"], content)
        assert other.status_code == 422 and other.json()["errors"][0]["field"] == "object_id"
    count = await admin_db.fetchval(
        "SELECT count(*) FROM documents WHERE tenant_id = $1 AND object_id = $2",
        GZ,
        uuid.UUID(bids[0]["id"]),
    )
    assert count == 1
    # The bucket holds ciphertext: not the PDF, not a piece of it.
    key = await admin_db.fetchval(
        "SELECT storage_key FROM document_versions WHERE tenant_id = $1 AND document_id = $2",
        GZ,
        uuid.UUID(document["id"]),
    )
    stored = store_client(settings).get_object(Bucket=settings.s3_bucket, Key=key)["Body"].read()
    assert secret not in stored and b"%PDF" not in stored

    # The bid period runs out (its seals move with the opening).
    deadline = await gz.closed(pid)
    await passed(deadline)
    late = await gz.attach(bidders[0].headers, bids[0]["id"], content)
    assert late.status_code == 409 and late.json()["code"] == "bid_deadline_passed", late.text
    download = f"/v1/tenants/{GZ}/documents/{document['id']}/download"
    for role in BUYERS:
        refused = await client.get(download, headers=await gz.as_(role))
        assert refused.status_code == 409, (role, refused.text)
        assert refused.json()["code"] == "document_sealed"

    await gz.open_now(pid, deadline)
    for role in BUYERS:
        link = await client.get(download, headers=await gz.as_(role))
        assert link.status_code == 200, (role, link.text)
        fetched = await client.get(link.json()["url"])
        assert fetched.status_code == 200 and fetched.content == content, role


async def test_the_sweep_opens_a_procurement_whose_job_went_missing(
    gz: Tenderer, sessionmaker: Sessions, admin_db: asyncpg.Connection
) -> None:
    procurement = await gz.published()
    await gz.moved(
        procurement["id"],
        "bid_deadline = now() - interval '1 minute', opening_at = now() - interval '1 minute'",
    )
    await sweep(sessionmaker)
    queued = await admin_db.fetchval(
        "SELECT count(*) FROM outbox WHERE tenant_id = $1 AND actor_name = 'tendering.open_bids'"
        " AND payload->>'procurement_id' = $2 AND message_key LIKE 'tendering-sweep:%'",
        GZ,
        procurement["id"],
    )
    assert queued == 1


async def test_a_provider_barred_province_wide_in_guangzhou_cannot_bid_in_shenzhen(
    client: Client,
    gz: Tenderer,
    sz: Tenderer,
    login: Login,
    sessionmaker: Sessions,
    admin_db: asyncpg.Connection,
) -> None:
    bidder = await gz.bidder()
    await sz.register(bidder)
    record = await confirmed(client, login, bidder.provider_id, "province", GZ)
    procurement = await sz.published()
    refused = await client.post(
        f"{sz.base}/{procurement['id']}/bids", headers=bidder.headers, json={"price": "300000"}
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "provider_disqualified"
    # Another province is not reached by a 广东 bar.
    async with transaction(sessionmaker, "530100") as session:
        await credit.check_eligible(session, uuid.UUID(bidder.provider_id), "530100")
    # Once the period has ended, the provider bids again.
    await admin_db.execute(
        "UPDATE disqualifications SET starts_on = current_date - interval '1 year',"
        " ends_on = current_date WHERE tenant_id = $1 AND id = $2",
        GZ,
        uuid.UUID(record["id"]),
    )
    accepted = await client.post(
        f"{sz.base}/{procurement['id']}/bids", headers=bidder.headers, json={"price": "300000"}
    )
    assert accepted.status_code == 201, accepted.text
