"""The one exception type users see."""


class PrismError(ValueError):
    """Bad input or an impossible request, with a message a person can act on.

    The CLI turns it into one line on stderr and exit status 2; library callers
    can catch it without also catching programming errors.
    """
