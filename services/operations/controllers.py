"""Platform operations: the dead-letter store."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromQuery

from services.kit.guard import CurrentActor, Session
from services.kit.jobs import DeadLetter
from services.kit.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.kit.types import NamePath
from services.operations import service
from services.operations.schemas import DeadLetterOut


def dead_letter_out(letter: DeadLetter) -> DeadLetterOut:
    return DeadLetterOut(
        id=letter.id,
        tenant=letter.tenant_code,
        job=letter.actor_name,
        queue=letter.queue_name,
        message_key=letter.message_key,
        payload=letter.payload,
        request_id=letter.request_id,
        error=letter.error,
        retries=letter.retries,
        failed_at=letter.failed_at,
        replayed_at=letter.replayed_at,
    )


class DeadLetterController(Controller):
    path = "/v1/platform/dead-letters"
    tags = ["platform"]

    @get("/", opt={"permission": "dead_letter:manage"})
    async def list_dead_letters(
        self,
        session: Session,
        pending: FromQuery[bool] = True,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
    ) -> Page[DeadLetterOut]:
        """Jobs that failed every retry, newest first; by default those not yet replayed."""
        letters = await service.list_dead_letters(session, pending, limit, offset)
        return Page(items=[dead_letter_out(x) for x in letters], limit=limit, offset=offset)

    @post("/{dead_letter_id:str}/replay", opt={"permission": "dead_letter:manage"}, status_code=202)
    async def replay(
        self, session: Session, actor: CurrentActor, dead_letter_id: NamePath
    ) -> DeadLetterOut:
        """Send the job again; it runs once it succeeds, under its original key."""
        return dead_letter_out(await service.replay(session, actor, dead_letter_id))
