"""Refusals of the documents context."""

from services.kit.errors import Conflict, DomainError, Forbidden, InvalidField


class DocumentTooLarge(DomainError):
    status = 413
    code = "document_too_large"
    title = "Document too large"


class FileTypeNotAllowed(InvalidField):
    code = "file_type_not_allowed"
    title = "File type not allowed"


class EmptyFile(InvalidField):
    code = "file_empty"
    title = "Empty file"


class DocumentSealed(Conflict):
    code = "document_sealed"
    title = "Document sealed"


class ProcedureOpened(Conflict):
    code = "procedure_opened"
    title = "Procedure opened already"


class NotYourDocument(Forbidden):
    code = "document_not_yours"
    title = "Document kept by someone else"


class LinkInvalid(Forbidden):
    code = "download_link_invalid"
    title = "Download link invalid"


class LinkExpired(Forbidden):
    code = "download_link_expired"
    title = "Download link expired"
