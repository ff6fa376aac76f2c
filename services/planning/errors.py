"""Refusals of the planning context."""

from services.kit.errors import Conflict, InvalidField


class WrongState(Conflict):
    """The object is not in a state where this step is allowed."""

    code = "wrong_state"
    title = "Not allowed in the current state"


class NotYourDepartment(InvalidField):
    code = "organisation_not_yours"
    title = "Not one of your departments"


class LocationOutsideTenant(InvalidField):
    code = "location_outside_region"
    title = "Location outside this region"


class DeclarationUnavailable(InvalidField):
    code = "declaration_unavailable"
    title = "Declaration cannot be used"


class SourcesDoNotSum(InvalidField):
    code = "sources_do_not_sum"
    title = "Funding sources do not sum to the line"


class ProjectNotCosted(InvalidField):
    code = "project_not_costed"
    title = "Project has no cost accounting"


class ProjectUnavailable(InvalidField):
    code = "project_unavailable"
    title = "Project cannot go into this budget"


class BudgetExceeded(Conflict):
    code = "budget_exceeded"
    title = "Not enough money left on the budget line"


class LineNotApproved(Conflict):
    code = "budget_line_not_approved"
    title = "Budget line not approved"
