"""The one exception type users see."""


class PrismError(ValueError):
    """Bad input or an impossible request, with a message a person can act on.

    The CLI turns it into one line on stderr and exit status 2; library callers
    can catch it without also catching programming errors.
    """


def check_count(value: object, what: str, least: int = 1) -> None:
    """Refuse anything but a whole number >= `least` (bools are not counts)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise PrismError(f"{what} must be a whole number >= {least}, got {value!r}")


def check_time_limit(value: object) -> None:
    """Refuse a time limit that is not a number of seconds > 0 (NaN included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise PrismError(f"time limit must be > 0 seconds, got {value!r}")
