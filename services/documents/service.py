"""What other contexts use of documents: registering the kinds of object they own, and the
seals of their procedures (a value sealed beside a procedure's documents under the same
opening; the opening itself, moved or withheld, when the owner decides it). Other contexts
import this module, never documents' inner ones.

None of these functions commits: they run in the caller's transaction.
"""

from __future__ import annotations

from services.documents.attached import AttachedVersion, current_version
from services.documents.filed import FiledVersion, filed_versions, read_filed
from services.documents.objects import register_object_type
from services.documents.seals import (
    SealPolicy,
    open_seal,
    opened_key,
    reschedule_seal,
    sealing_key,
    withhold_seal,
)

__all__ = [
    "AttachedVersion",
    "FiledVersion",
    "SealPolicy",
    "current_version",
    "filed_versions",
    "open_seal",
    "opened_key",
    "read_filed",
    "register_object_type",
    "reschedule_seal",
    "sealing_key",
    "withhold_seal",
]
