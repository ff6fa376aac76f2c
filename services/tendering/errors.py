"""Refusals of the tendering context (legal-rule refusals live in ``rules``)."""

from services.kit.errors import Conflict, Forbidden, InvalidField


class WrongState(Conflict):
    code = "wrong_state"
    title = "Not allowed in the current state"


class BudgetLineUnavailable(InvalidField):
    code = "budget_line_unavailable"
    title = "Budget line cannot fund this procurement"


class MethodReasonMissing(InvalidField):
    code = "method_reason_required"
    title = "The method needs a reason from the law"


class PriceAboveCeiling(InvalidField):
    code = "price_above_ceiling"
    title = "Price above the ceiling"


class BidDeadlinePassed(Conflict):
    code = "bid_deadline_passed"
    title = "The bid deadline has passed"


class NotEligible(Forbidden):
    code = "provider_not_eligible"
    title = "Provider may not bid here"


class ScoresHidden(Conflict):
    code = "scores_hidden"
    title = "Scores are hidden until every member has submitted"


class ExpertConflicted(InvalidField):
    code = "expert_conflicted"
    title = "Expert tied to a bidder"


class NotEnoughExperts(Conflict):
    code = "not_enough_experts"
    title = "Not enough eligible experts in the pool"


class ChallengeWindowClosed(Conflict):
    code = "challenge_window_closed"
    title = "The time to challenge has passed"
