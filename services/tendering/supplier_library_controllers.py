"""HTTP routes of the province's supplier library: ``/v1/tenants/{province}/supplier-library``,
kept by the province's finance bureau (its approver writes, its staff read)."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, JSONBody

from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.tendering import supplier_library
from services.tendering.supplier_library_schemas import EntryIn, EntryOut, EntryStatusIn


class SupplierLibraryController(Controller):
    """The providers the province admits for invited draws, by programme area."""

    path = f"{TENANT_PATH}/supplier-library"
    tags = ["tendering"]

    @get("/", opt={"permission": "supplier_library:read"})
    async def list_entries(self, session: Session, actor: CurrentActor) -> list[EntryOut]:
        entries = await supplier_library.list_entries(session, actor.tenant)
        return await supplier_library.entries_out(session, entries)

    @post("/", opt={"permission": "supplier_library:write"}, status_code=201)
    async def add(self, session: Session, actor: CurrentActor, data: JSONBody[EntryIn]) -> EntryOut:
        """Admit a provider for its programme areas, from one day until another."""
        entry = await supplier_library.add(session, actor, data)
        return (await supplier_library.entries_out(session, [entry]))[0]

    @get("/{provider_id:uuid}", opt={"permission": "supplier_library:read"})
    async def read(
        self, session: Session, actor: CurrentActor, provider_id: FromPath[uuid.UUID]
    ) -> EntryOut:
        entry = await supplier_library.get(session, actor.tenant, provider_id)
        return (await supplier_library.entries_out(session, [entry]))[0]

    @put("/{provider_id:uuid}/status", opt={"permission": "supplier_library:write"})
    async def set_status(
        self,
        session: Session,
        actor: CurrentActor,
        provider_id: FromPath[uuid.UUID],
        data: JSONBody[EntryStatusIn],
    ) -> EntryOut:
        """Suspend or remove an entry (with the reason), or make a suspended one active."""
        entry = await supplier_library.set_status(session, actor, provider_id, data)
        return (await supplier_library.entries_out(session, [entry]))[0]
