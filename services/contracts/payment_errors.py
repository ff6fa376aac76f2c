"""The payments' refusals."""

from __future__ import annotations

from services.kit.errors import Conflict, Forbidden, InvalidField


class NotPayable(Conflict):
    code = "contract_not_signed"
    title = "Only a signed contract is paid"


class InstalmentExceeded(InvalidField):
    code = "instalment_exceeded"
    title = "More than is left of the instalment or the price"


class WrongPaymentState(Conflict):
    code = "payment_wrong_state"
    title = "The payment is not at this step"


class AwaitingAcceptance(Conflict):
    code = "awaiting_acceptance"
    title = "The final instalment waits for the acceptance"


class NotYourStep(Forbidden):
    code = "not_your_step"
    title = "Another bureau takes this step"
