"""Project exceptions: each carries a message a user can act on; the CLI and UI catch and show them."""

import errno


class AssistantError(Exception):
    """Base class for errors shown to the user as they are (no traceback)."""


class ConfigError(AssistantError):
    """The configuration file or an environment override is invalid."""


class KnowledgeBaseError(AssistantError):
    """The knowledge base is missing, damaged or cannot be written."""


class KnowledgeBaseLocked(KnowledgeBaseError):
    """Another process holds the ingestion lock."""


class EmbedderMismatch(KnowledgeBaseError):
    """The knowledge base was built with a different embedding model than the one configured."""


class ModelLoadError(AssistantError):
    """A configured model cannot be found or loaded."""


class DocumentError(AssistantError):
    """One input file cannot be ingested; the message is the reason shown in the summary."""


class ModelBusy(AssistantError):
    """Every model slot stayed busy for longer than the configured wait."""


class AccessDenied(AssistantError):
    """The caller is not allowed to do this, or did not say who it is."""


def disk_full(error: BaseException) -> bool:
    """ENOSPC from the OS, or SQLite's "database or disk is full", or FAISS's message for ENOSPC."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    return "disk is full" in str(error) or "No space left on device" in str(error)


class ConversationNotFound(AssistantError):
    """No conversation with that id belongs to this user (whether it exists for someone else is not said)."""
