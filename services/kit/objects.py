"""The kinds of object the platform's records belong to: a codelist the API publishes.

Like OCDS's codelists, ``ObjectType`` is a list of names that the API and every context share:
it names a kind and nothing more. What a kind means — who may attach documents to an object of
it, whether those are sealed and until when — is registered by the context that owns such
objects (``services.documents.service.register_object_type``), so that no context has to know
the ones above it. A kind nobody registered would still be a name clients may send, treated as
a government object.

A new kind goes at the end: the order is the published one.
"""

from __future__ import annotations

from enum import StrEnum


# The docstring is the codelist's description in the published OpenAPI document.
class ObjectType(StrEnum):
    """What a document belongs to. Later contexts add theirs (and an object check)."""

    needs_declaration = "needs_declaration"  # 需求申报
    needs_assessment = "needs_assessment"  # 需求评估
    budget = "budget"  # 年度预算
    project = "project"  # 项目库
    tender = "tender"  # 招标
    bid = "bid"  # 投标
    contract = "contract"  # 合同
    report = "report"  # 进度报告、评估报告
    registration = "registration"  # 服务机构登记
    # --- credit ---
    disqualification = "disqualification"  # 不良行为记录（证据材料）
    # --- delivery ---
    inspection = "inspection"  # 检查（证据材料）
    rectification = "rectification"  # 整改（整改情况说明）
    acceptance = "acceptance"  # 结项验收（验收书）
    evaluation = "evaluation"  # 第三方评估（评估报告）
