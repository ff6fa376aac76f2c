"""Refusals of the acceptance steps, each with its stable code."""

from __future__ import annotations

from services.kit.errors import Conflict, Forbidden


class AcceptanceWrongState(Conflict):
    code = "acceptance_wrong_state"
    title = "The acceptance is not at this step"


class ContractNotAcceptable(Conflict):
    code = "contract_not_acceptable"
    title = "This contract cannot be accepted now"


class RectificationsOpen(Conflict):
    code = "rectifications_open"
    title = "The failed acceptance's rectifications are not all closed"


class PanelIncomplete(Conflict):
    code = "acceptance_panel_incomplete"
    title = "The panel lacks a member the law requires"


class OpinionsMissing(Conflict):
    code = "acceptance_opinions_missing"
    title = "Not every member of the panel has recorded an opinion"


class AlreadyOnPanel(Conflict):
    code = "already_on_panel"
    title = "This account sits on the panel already"


class NotOnPanel(Forbidden):
    code = "not_on_panel"
    title = "Only a member of the panel records an opinion"


class DocumentChanged(Conflict):
    code = "document_changed"
    title = "The document is not the version you read"


class AlreadySigned(Conflict):
    code = "already_signed"
    title = "Your side has signed this version already"
