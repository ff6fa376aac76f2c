"""Templates: zh-CN with times in Beijing, English where an event type has no Chinese text, and
a caller's mistake refused before anything is written."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.audit import Actor
from services.kit.db import bind_tenant, transaction
from services.notifications import service as notifications
from services.notifications import templates
from services.notifications.errors import ContextIncomplete, UnknownEventType, UnknownRecipient
from tests.support.client import Client, Login
from tests.support.demo import GZ
from tests.support.notifications import new_user

pytestmark = pytest.mark.usefixtures("demo")


def test_messages_are_in_chinese_with_times_in_beijing() -> None:
    message = templates.render(
        "membership.granted", {"tenant_name": "广州市", "role": "civil_affairs_approver"}
    )
    assert message.locale == "zh-CN"
    assert message.subject == "【广州市】您已获授“民政部门审批人”角色"
    opened = templates.render(
        "document.sealed_opened",
        {
            "tenant_name": "广州市",
            "document_title": "投标文件（阳光社工）",
            "opened_at": datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        },
    )
    assert "2026年12月01日 10:00" in opened.body  # 02:00 UTC is 10:00 in Beijing
    english = templates.render(
        "membership.granted", {"tenant_name": "Guangzhou", "role": "expert"}, locale="en"
    )
    assert english.subject == "[Guangzhou] You now hold the role expert reviewer"


@pytest.fixture
def english_only_event() -> Iterator[str]:
    name = "test.english_only"
    templates.register(
        templates.EventType(
            name=name,
            label={templates.EN: "Test event"},
            templates={templates.EN: ("[{tenant_name}] Test {thing}", "Only English: {thing}")},
        )
    )
    yield name
    templates.unregister(name)


async def test_an_event_without_chinese_text_falls_back_to_english(
    client: Client,
    login: Login,
    sessionmaker: async_sessionmaker[AsyncSession],
    english_only_event: str,
) -> None:
    user_id, _, headers = await new_user(client, login)
    async with transaction(sessionmaker, GZ) as session:
        await notifications.notify(
            session,
            Actor(None, GZ, "test-fallback"),
            event_type=english_only_event,
            recipients=[uuid.UUID(user_id)],
            context={"tenant_name": "广州市", "thing": "fallback"},
            tenant=GZ,
        )
    [item] = (await client.get("/v1/me/notifications", headers=headers)).json()["items"]
    assert item["locale"] == "en"
    assert item["subject"] == "[广州市] Test fallback"
    assert item["body"] == "Only English: fallback"


@pytest.mark.parametrize(
    ("event_type", "context", "recipients", "error"),
    [
        ("no.such_event", {"tenant_name": "广州市"}, "user", UnknownEventType),
        ("membership.granted", {"tenant_name": "广州市"}, "user", ContextIncomplete),
        ("membership.granted", {"role": "expert"}, "user", ContextIncomplete),
        (
            "membership.granted",
            {"tenant_name": "广州市", "role": "expert"},
            "nobody",
            UnknownRecipient,
        ),
    ],
    ids=["unknown event type", "missing role", "missing tenant name", "unknown recipient"],
)
async def test_notify_refuses_a_callers_mistake_before_writing_anything(
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: async_sessionmaker[AsyncSession],
    event_type: str,
    context: dict[str, Any],
    recipients: str,
    error: type[Exception],
) -> None:
    user_id, _, _ = await new_user(client, login)
    recipient = uuid.UUID(user_id) if recipients == "user" else uuid.uuid4()
    async with sessionmaker() as session, session.begin():
        await bind_tenant(session, GZ)
        with pytest.raises(error):
            await notifications.notify(
                session,
                Actor(None, GZ, "test-mistake"),
                event_type=event_type,
                recipients=[recipient],
                context=context,
                tenant=GZ,
            )
        await session.rollback()
    assert (
        await admin_db.fetchval(
            "SELECT count(*) FROM notifications WHERE user_id = $1", uuid.UUID(user_id)
        )
        == 0
    )
