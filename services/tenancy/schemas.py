"""Request and response bodies of the tenancy API."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.authz.roles import Role
from services.kit.types import Line, Text
from services.tenancy.codes import Level, ProviderKind

Code = Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", description="GB/T 2260 division code")]
Name = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]


class OrganisationKind(StrEnum):
    civil_affairs = "civil_affairs"  # 民政部门
    finance = "finance"  # 财政部门
    partner_department = "partner_department"  # 有关部门和群团组织


class Sector(StrEnum):
    womens_federation = "womens_federation"  # 妇联
    youth_league = "youth_league"  # 团委
    disabled_persons_federation = "disabled_persons_federation"  # 残联
    justice = "justice"  # 司法局
    health = "health"  # 卫健委
    education = "education"  # 教育局
    human_resources = "human_resources"  # 人社局
    public_security = "public_security"  # 公安局
    other = "other"


class RegistrationStatus(StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class TenantCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name


class TenantOut(msgspec.Struct):
    code: str
    name: str
    level: Level
    parent_code: str | None
    active: bool


class OrganisationCreate(msgspec.Struct, forbid_unknown_fields=True):
    kind: OrganisationKind
    name: Name
    sector: Sector | None = None


class OrganisationUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | None = None
    sector: Sector | None = None
    active: bool | None = None


class OrganisationOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    kind: OrganisationKind
    sector: Sector | None
    name: str
    active: bool


class MembershipGrant(msgspec.Struct, forbid_unknown_fields=True):
    login: Annotated[Line, msgspec.Meta(min_length=3, max_length=254)]
    role: Role
    organisation_id: uuid.UUID | None = None


class MembershipOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    user_id: uuid.UUID
    role: Role
    organisation_id: uuid.UUID | None
    created_at: datetime


class ProviderSignup(msgspec.Struct, forbid_unknown_fields=True):
    uscc: Annotated[Line, msgspec.Meta(min_length=1, max_length=40)]
    name: Name
    admin_login: Annotated[Line, msgspec.Meta(min_length=3, max_length=254)]
    admin_name: Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]
    admin_password: Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]


class ProviderOut(msgspec.Struct):
    id: uuid.UUID
    uscc: str
    name: str
    kind: ProviderKind


class RegistrationApply(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[Text, msgspec.Meta(max_length=2000)] | None = None


class RegistrationDecision(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[Text, msgspec.Meta(max_length=2000)] | None = None


class RegistrationOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    provider_id: uuid.UUID
    provider_name: str
    status: RegistrationStatus
    note: str | None
    created_at: datetime
    decided_at: datetime | None


class AuditEntryOut(msgspec.Struct):
    seq: int
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    object_type: str
    object_id: str
    before: dict[str, object] | None
    after: dict[str, object] | None
    request_id: str | None
    hash: str


# --- evaluation organisations and ties (第三方评估机构; 关联关系) ---------------------------------


class Relation(StrEnum):
    parent = "parent"  # 上级/举办单位
    subsidiary = "subsidiary"  # 下属/控股机构
    shared_sponsor = "shared_sponsor"  # 同一业务主管单位或举办者
    other = "other"


class PersonRole(StrEnum):
    legal_representative = "legal_representative"  # 法定代表人
    director = "director"  # 理事/董事
    key_staff = "key_staff"  # 主要负责人、项目负责人


class IdKind(StrEnum):
    resident_id = "resident_id"  # 居民身份证 (GB 11643, checked)
    other = "other"  # 护照、港澳台居民证件等


class EvaluatorFlagIn(msgspec.Struct, forbid_unknown_fields=True):
    is_evaluator: bool
    note: Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]


class AffiliationIn(msgspec.Struct, forbid_unknown_fields=True):
    related_uscc: Annotated[Line, msgspec.Meta(min_length=1, max_length=40)]
    relation: Relation
    related_name: Name | None = None


class PersonIn(msgspec.Struct, forbid_unknown_fields=True):
    role: PersonRole
    name: Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]
    id_number: Annotated[Line, msgspec.Meta(min_length=4, max_length=40)]
    id_kind: IdKind = IdKind.resident_id


class AffiliationOut(msgspec.Struct):
    id: uuid.UUID
    related_uscc: str
    related_name: str | None
    relation: Relation
    created_at: datetime


class PersonOut(msgspec.Struct):
    id: uuid.UUID
    role: PersonRole
    name: str
    # Masked: the ID number is never stored, only a keyed hash of it.
    id_masked: str
    created_at: datetime


class TiesOut(msgspec.Struct):
    provider_id: uuid.UUID
    is_evaluator: bool
    evaluator_since: datetime | None
    affiliations: list[AffiliationOut]
    persons: list[PersonOut]


class EvaluatorOut(msgspec.Struct):
    id: uuid.UUID
    uscc: str
    name: str
    is_evaluator: bool
    evaluator_since: datetime | None
