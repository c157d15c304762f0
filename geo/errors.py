"""Exceptions and warnings of the domain package."""


class CareCircleError(Exception):
    """Base class of the package's errors."""


class DataError(CareCircleError, ValueError):
    """Input data are malformed: the message says what, where and how to fix it."""


class NotFoundError(CareCircleError, LookupError):
    """A requested record (facility, version, user) does not exist."""


class ConflictError(CareCircleError):
    """The stored data changed since the caller last read them."""


class DatabaseError(CareCircleError):
    """The database cannot be reached or used (server down, refused login, missing database or
    folder, a schema newer than the program): the message says which, and what to do."""


class NetworkUnavailableError(CareCircleError, OSError):
    """An online service was asked for but the machine cannot reach it."""


class CareCircleWarning(UserWarning):
    """Warnings raised by the package; tests turn them into errors."""
