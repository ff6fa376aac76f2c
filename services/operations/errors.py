"""Refusals of the operations API."""

from services.kit.errors import Conflict


class AlreadyReplayed(Conflict):
    code = "dead_letter_replayed"
    title = "Replayed already"
