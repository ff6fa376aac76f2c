"""Refusals of third-party evaluation."""

from services.kit.errors import Conflict, InvalidField


class EvaluatorTied(Conflict):
    """The evaluation organisation is not independent of the evaluated provider: the same
    organisation, a declared affiliation either way or with a third, or a shared person."""

    code = "evaluator_tied"
    title = "Evaluator tied to the evaluated provider"


class NotAnEvaluator(InvalidField):
    code = "not_an_evaluator"
    title = "Not an evaluation organisation"


class ContractNotSigned(Conflict):
    code = "contract_not_signed"
    title = "Only a signed contract is evaluated"


class EvaluationWrongState(Conflict):
    code = "evaluation_wrong_state"
    title = "Not allowed in the evaluation's current state"


class ScoreOutOfRange(InvalidField):
    code = "score_out_of_range"
    title = "Score above the dimension's maximum"


class EvaluationIncomplete(InvalidField):
    code = "evaluation_incomplete"
    title = "Scores, comments and the report are needed to submit"
