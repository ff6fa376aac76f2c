"""Refusals of the credit context."""

from services.kit.errors import Conflict, DomainError, InvalidField


class ProviderDisqualified(DomainError):
    """The provider is on a bad-conduct list that applies in this region today. The problem
    names where it was recorded, its scope and its end; never the recording region's reasons."""

    status = 403
    code = "provider_disqualified"
    title = "Provider disqualified from government procurement"


class WrongState(Conflict):
    code = "wrong_state"
    title = "Not allowed in the current state"


class FourEyes(Conflict):
    """The approver who confirms or rejects a record must not be the one who recorded it."""

    code = "four_eyes_required"
    title = "Another person must decide"


class PeriodOutOfRange(InvalidField):
    code = "period_out_of_range"
    title = "Disqualification period must be 1 to 3 years"


class ScopeNotAllowed(InvalidField):
    code = "scope_not_allowed"
    title = "Scope not allowed for this region"


class ProviderNotKnownHere(InvalidField):
    code = "provider_not_known_here"
    title = "Provider never registered in this region"


class FactsDoNotWarrant(InvalidField):
    """A disqualification from facts needs a 不合格 grade or a breach among them."""

    code = "facts_do_not_warrant"
    title = "No failed evaluation or breach among the facts"
