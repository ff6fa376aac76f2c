from tests.support.client import Client


async def test_healthz(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200


async def test_readyz_reports_migration_head(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    from services.kit.health import migration_head

    assert response.json()["migration"] == migration_head()


async def test_request_id_is_echoed(client: Client) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_request_id_is_made_when_missing(client: Client) -> None:
    response = await client.get("/healthz")
    assert len(response.headers["x-request-id"]) == 32


def test_a_database_behind_the_code_is_not_ready() -> None:
    from services.kit.health import migration_head, schema_is_behind

    assert schema_is_behind(None)
    assert not schema_is_behind(migration_head())


def test_a_database_ahead_of_the_code_stays_ready_during_a_rollout() -> None:
    from services.kit.health import schema_is_behind

    assert not schema_is_behind("f00dbeef-from-a-newer-release")
