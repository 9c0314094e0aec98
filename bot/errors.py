"""The domain exception tree. Anything a user can cause is a LanternError with a
message fit to show them; everything else is a bug."""


class LanternError(Exception):
    """A failure with a message that can be shown to the person who caused it."""


class SettingsError(LanternError):
    """A setting has a value we cannot use; the message names the variable."""


class FetchError(LanternError):
    """A feed could not be fetched. `kind` is a short machine-readable reason."""

    def __init__(self, message: str, kind: str = "network", *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


class BlockedAddressError(FetchError):
    """The URL resolves to an address the private-network guard refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "blocked")


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
