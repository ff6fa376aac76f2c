from litestar.testing import AsyncTestClient


async def test_healthz(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200


async def test_readyz_reports_migration_head(client: AsyncTestClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["migration"] == "0001"


async def test_request_id_is_echoed(client: AsyncTestClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_request_id_is_made_when_missing(client: AsyncTestClient) -> None:
    response = await client.get("/healthz")
    assert len(response.headers["x-request-id"]) == 32
