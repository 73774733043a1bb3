"""One exception tree. Every message says what happened and what to do about it.

The CLIs print `str(error)` and exit non-zero; the API maps each class to an HTTP status in one
place. Code below the entry points raises these and catches nothing it cannot handle.
"""


class SabioError(Exception):
    """Base of every error a user can cause or fix."""

    exit_code = 2


class ConfigError(SabioError):
    """A setting is invalid."""


class ModelNotFound(SabioError):
    """A model setting names nothing that can be loaded offline."""


class CollectionNotFound(SabioError):
    """The named collection does not exist."""


class InvalidCollectionName(SabioError):
    """A collection name that cannot be a folder name."""


class EmbedderMismatch(SabioError):
    """The collection was built with another embedding model."""


class IndexCorrupt(SabioError):
    """The collection's files are damaged or from an unknown format version."""


class CollectionLocked(SabioError):
    """Another writer holds the collection."""

    exit_code = 3


class DocumentNotFound(SabioError):
    """No document with that id or path in the collection."""


class ParseError(SabioError):
    """A file could not be turned into text: corrupt, encrypted, empty, unsupported, unreadable."""


class UnsupportedFile(ParseError):
    """A file type we do not parse."""


class QuestionTooLong(SabioError):
    """The question does not fit in the model's context beside its sources."""


class DatasetError(SabioError):
    """A dataset file given to `rag eval` is missing or not in its layout."""
