"""Regions, their organisations and role memberships, and providers."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import Base, TenantOwned, Timestamped


class Tenant(Timestamped, Base):
    """A region's purchasing authority, keyed by its GB/T 2260 division code."""

    __tablename__ = "tenants"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("tenants.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Organisation(TenantOwned, Timestamped, Base):
    """A bureau or department inside a tenant: civil affairs, finance, or a partner."""

    __tablename__ = "organisations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        Index("ix_organisations_tenant_kind", "tenant_id", "kind"),
    )

    kind: Mapped[str] = mapped_column(String(32))
    sector: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Membership(TenantOwned, Timestamped, Base):
    """A user's role in a tenant; the Casbin grouping rules are read from here."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "role"),
        ForeignKeyConstraint(
            ["tenant_id", "organisation_id"], ["organisations.tenant_id", "organisations.id"]
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[uuid.UUID | None] = mapped_column()
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Provider(Timestamped, Base):
    """A social organisation or other supplier: one identity across all regions."""

    __tablename__ = "providers"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    # 第三方评估机构: set by a platform administrator (services.tenancy.ties).
    is_evaluator: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    evaluator_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProviderRegistration(TenantOwned, Timestamped, Base):
    """A provider's standing in one tenant, approved by that tenant's civil affairs."""

    __tablename__ = "provider_registrations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "provider_id"),
        Index("ix_provider_registrations_tenant_status", "tenant_id", "status"),
    )

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ObjectGrant(TenantOwned, Timestamped, Base):
    """A role held on one object of a tenant (an acceptance's panel member who is not a
    government user): the Casbin domain is ``<tenant>/<object_kind>/<object_id>``, so the
    account reaches that object and nothing else in the region."""

    __tablename__ = "object_grants"
    __table_args__ = (
        UniqueConstraint("tenant_id", "object_kind", "object_id", "user_id", "role"),
        Index("ix_object_grants_user", "tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(32))
    object_kind: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[uuid.UUID] = mapped_column()
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class ProviderAffiliation(Base):
    """Another organisation (by its USCC) the provider declares itself tied to: its parent, a
    subsidiary, an organisation with the same sponsor (业务主管单位/举办者). The provider's own,
    like the provider: no region's."""

    __tablename__ = "provider_affiliations"
    __table_args__ = (
        UniqueConstraint("provider_id", "related_uscc", "relation", name="declared"),
        Index("ix_provider_affiliations_related", "related_uscc"),
        CheckConstraint(
            "relation IN ('parent', 'subsidiary', 'shared_sponsor', 'other')",
            name="relation_known",
        ),
    )

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    related_uscc: Mapped[str] = mapped_column(String(18))
    related_name: Mapped[str | None] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(16))
    declared_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProviderPerson(Base):
    """A principal person of the provider (legal representative, director, key staff),
    known by a keyed hash of the ID number and a masked form of it: never the number."""

    __tablename__ = "provider_persons"
    __table_args__ = (
        UniqueConstraint("provider_id", "id_hash", "role", name="declared"),
        Index("ix_provider_persons_hash", "id_hash"),
        CheckConstraint(
            "role IN ('legal_representative', 'director', 'key_staff')", name="role_known"
        ),
        CheckConstraint("id_hash ~ '^[0-9a-f]{64}$'", name="hash_only"),
    )

    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    role: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(100))
    id_hash: Mapped[str] = mapped_column(String(64))
    id_masked: Mapped[str] = mapped_column(String(32))
    declared_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
