"""The domain exception tree. Anything a user can cause is a LanternError with a
message fit to show them; everything else is a bug."""

from enum import StrEnum


class LanternError(Exception):
    """A failure with a message that can be shown to the person who caused it."""


class SettingsError(LanternError):
    """A setting has a value we cannot use; the message names the variable."""


class FetchErrorKind(StrEnum):
    """Why a feed could not be fetched or read (the values are stable strings)."""

    NETWORK = "network"
    INVALID_URL = "invalid_url"
    BLOCKED = "blocked"
    TIMEOUT = "timeout"
    REDIRECTS = "redirects"
    GONE = "gone"
    RATE_LIMITED = "rate_limited"
    HTTP = "http"
    TOO_LARGE = "too_large"
    PARSER = "parser"
    PARSE_TIMEOUT = "parse_timeout"


class FetchError(LanternError):
    """A feed could not be fetched. `kind` is a short machine-readable reason."""

    def __init__(
        self,
        message: str,
        kind: FetchErrorKind = FetchErrorKind.NETWORK,
        *,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


class BlockedAddressError(FetchError):
    """The URL resolves to an address the private-network guard refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message, FetchErrorKind.BLOCKED)


class NotAFeedError(LanternError):
    """The document is not a feed. `alternates` lists feed links found on an HTML page."""

    def __init__(self, message: str, alternates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.alternates = alternates


class InvalidSearchQueryError(LanternError):
    """A search query (or one of its filters) cannot be used."""


class NotFoundError(LanternError):
    """A named feed, subscription or article does not exist (storage raises it
    when asked to change a record that is gone)."""


class DuplicateSubscriptionError(LanternError):
    """The channel already receives this feed (`Storage.add_subscription`)."""
