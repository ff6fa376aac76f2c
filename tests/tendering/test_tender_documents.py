"""A published procurement's open documents (招标文件, 谈判文件) are the providers' to obtain
(实施条例 art. 31, 87号令 art. 24): not before publication, never the confidential or sealed
ones, only the invitees' where suppliers were invited (and never the written recommendations
that invited them), and never to another region's government users."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import Client, json_of
from tests.support.documents import doc_path, pdf, upload
from tests.support.tendering import Bidder, Tenderer, later

pytestmark = pytest.mark.usefixtures("demo")


async def _attach(gz: Tenderer, pid: str, title: str, **params: Any) -> str:
    officer = await gz.as_("civil_affairs_officer")
    uploaded = await upload(
        gz.client,
        officer,
        pdf(title.encode()),
        object_type="tender",
        object_id=pid,
        filename=f"{title}.pdf",
        **params,
    )
    return str(json_of(uploaded, 201)["id"])


async def _seen(client: Client, bidder: Bidder, pid: str, city: str) -> set[str]:
    listed = await client.get(
        f"/v1/tenants/{city}/documents",
        headers=bidder.headers,
        params={"object_type": "tender", "object_id": pid},
    )
    return {d["id"] for d in json_of(listed)["items"]}


async def test_a_published_tenders_open_documents_reach_every_provider(
    client: Client, gz: Tenderer, sz: Tenderer
) -> None:
    bidder = await gz.bidder()
    procurement = await gz.create()
    pid = str(procurement["id"])
    documents = await _attach(gz, pid, "招标文件")
    internal = await _attach(gz, pid, "内部测算", confidential="true")
    reserve = await _attach(gz, pid, "标底", sealed_until=later(days=40))
    assert await _seen(client, bidder, pid, gz.city) == set()
    assert (await client.get(doc_path(documents), headers=bidder.headers)).status_code == 404

    published = await client.post(
        f"{gz.base}/{pid}/publish", headers=await gz.as_("civil_affairs_officer"), json={}
    )
    assert json_of(published)["status"] == "tendering"
    assert await _seen(client, bidder, pid, gz.city) == {documents}
    link = await client.get(f"{doc_path(documents)}/download", headers=bidder.headers)
    assert link.status_code == 200 and link.json()["url"]
    for hidden in (internal, reserve):
        assert (await client.get(doc_path(hidden), headers=bidder.headers)).status_code == 404

    # A provider registered in 深圳 only may obtain them too, to register here and bid; 深圳's
    # buyer finds nothing of 广州's.
    elsewhere = await sz.bidder()
    assert await _seen(client, elsewhere, pid, gz.city) == {documents}
    sz_officer = await sz.as_("civil_affairs_officer")
    foreign = await client.get(doc_path(documents, sz.city), headers=sz_officer)
    assert foreign.status_code == 404


async def test_an_invited_procedures_documents_reach_its_invitees_only(
    client: Client, gz: Tenderer
) -> None:
    invitees = [await gz.bidder() for _ in range(3)]
    outsider = await gz.bidder()
    procurement = await gz.negotiation(invitees)
    pid = str(procurement["id"])
    documents = await _attach(gz, pid, "谈判文件")
    [recommendation] = [
        d["id"]
        for d in json_of(
            await client.get(
                f"/v1/tenants/{gz.city}/documents",
                headers=await gz.as_("civil_affairs_officer"),
                params={"object_type": "tender", "object_id": pid},
            )
        )["items"]
        if d["id"] != documents
    ]
    officer = await gz.as_("civil_affairs_officer")
    submitted = await client.post(f"{gz.base}/{pid}/submit-for-approval", headers=officer)
    assert submitted.status_code == 200, submitted.text
    approved = await client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    assert approved.status_code == 200, approved.text
    published = await client.post(f"{gz.base}/{pid}/publish", headers=officer, json={})
    assert json_of(published)["status"] == "tendering"

    assert await _seen(client, invitees[0], pid, gz.city) == {documents}
    assert (
        await client.get(doc_path(recommendation), headers=invitees[0].headers)
    ).status_code == 404
    assert await _seen(client, outsider, pid, gz.city) == set()
    assert (await client.get(doc_path(documents), headers=outsider.headers)).status_code == 404
