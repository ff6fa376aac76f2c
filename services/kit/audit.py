"""Append-only, hash-chained audit log, one chain per tenant.

Each entry's hash covers its own fields and the previous entry's hash, so an edited entry
breaks its own hash and a deleted one breaks the link of the entry after it. The database
refuses UPDATE and DELETE on the table (trigger), and the API role may only INSERT and SELECT.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, String, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base
from services.kit.jsonsafe import json_safe

GENESIS = "0" * 64


class AuditHead(Base):
    """The latest seq and hash of each chain: serialises appends and exposes a cut-off tail."""

    __tablename__ = "audit_heads"

    tenant_id: Mapped[str] = mapped_column(String(6), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    __tablename__ = "audit_log"

    tenant_id: Mapped[str] = mapped_column(String(6), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(128))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which tenant, under which request: stamped on every audit entry."""

    user_id: uuid.UUID | None
    tenant: str
    request_id: str | None = None
    provider_id: uuid.UUID | None = None


def entry_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _hashed_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "tenant_id": entry.tenant_id,
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
    }


async def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the actor's tenant chain, inside the caller's transaction."""
    # The head row's lock orders concurrent appends to one chain.
    head = (
        await session.execute(
            text(
                "INSERT INTO audit_heads (tenant_id, last_seq, last_hash) VALUES (:t, 0, :g) "
                "ON CONFLICT (tenant_id) DO UPDATE SET last_seq = audit_heads.last_seq "
                "RETURNING last_seq, last_hash"
            ),
            {"t": actor.tenant, "g": GENESIS},
        )
    ).one()
    entry = AuditEntry(
        tenant_id=actor.tenant,
        seq=head.last_seq + 1,
        at=datetime.now(UTC),
        actor_id=actor.user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=json_safe(before),
        after=json_safe(after),
        request_id=actor.request_id,
        prev_hash=head.last_hash,
    )
    entry.hash = entry_hash(_hashed_fields(entry))
    session.add(entry)
    await session.execute(
        text("UPDATE audit_heads SET last_seq = :s, last_hash = :h WHERE tenant_id = :t"),
        {"s": entry.seq, "h": entry.hash, "t": actor.tenant},
    )
    await session.flush()
    return entry


@dataclass(frozen=True)
class ChainReport:
    tenant: str
    entries: int
    first_broken_seq: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.first_broken_seq is None


async def verify_chain(session: AsyncSession, tenant: str, batch: int = 5000) -> ChainReport:
    """Walk a tenant's chain in order; name the first entry that was edited or follows a gap."""
    expected_prev, expected_seq, count, after_seq = GENESIS, 1, 0, 0
    while True:
        rows = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.tenant_id == tenant, AuditEntry.seq > after_seq)
                .order_by(AuditEntry.seq)
                .limit(batch)
            )
        ).all()
        if not rows:
            return await _check_tail(session, tenant, count, expected_seq - 1, expected_prev)
        for entry in rows:
            count += 1
            if entry.seq != expected_seq:
                return ChainReport(
                    tenant, count, expected_seq, f"entry {expected_seq} is missing (deleted)"
                )
            if entry.prev_hash != expected_prev:
                return ChainReport(tenant, count, entry.seq, "link to the previous entry is broken")
            if entry_hash(_hashed_fields(entry)) != entry.hash:
                return ChainReport(
                    tenant, count, entry.seq, "entry content does not match its hash (edited)"
                )
            expected_prev, expected_seq = entry.hash, entry.seq + 1
        after_seq = rows[-1].seq
        session.expunge_all()


async def _check_tail(
    session: AsyncSession, tenant: str, count: int, last_seq: int, last_hash: str
) -> ChainReport:
    head = await session.get(AuditHead, tenant)
    if head is not None and (head.last_seq, head.last_hash) != (last_seq, last_hash):
        return ChainReport(
            tenant,
            count,
            last_seq + 1,
            f"entries {last_seq + 1}..{head.last_seq} are missing (deleted)",
        )
    return ChainReport(tenant, count, None, None)


# --- what the project archive reads ---------------------------------------------------------


@dataclass(frozen=True)
class ChainHead:
    """Where a tenant's chain stood: its last entry's number and hash (GENESIS when empty)."""

    seq: int
    hash: str


async def chain_head(session: AsyncSession, tenant: str) -> ChainHead:
    head = await session.get(AuditHead, tenant, populate_existing=True)
    return ChainHead(0, GENESIS) if head is None else ChainHead(head.last_seq, head.last_hash)


async def trail_of(
    session: AsyncSession, tenant: str, object_ids: list[str], upto_seq: int
) -> list[dict[str, Any]]:
    """The entries of the tenant's chain about ``object_ids``, up to ``upto_seq``, in order,
    with their hashes (each can be checked against the chain)."""
    if not object_ids:
        return []
    entries = await session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.tenant_id == tenant,
            AuditEntry.object_id.in_(object_ids),
            AuditEntry.seq <= upto_seq,
        )
        .order_by(AuditEntry.seq)
    )
    return [{**_hashed_fields(e), "hash": e.hash} for e in entries]
