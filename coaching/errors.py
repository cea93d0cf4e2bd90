"""Errors a person can act on.

Every failure that comes from configuration or input is raised as one of these, with a message that
names the problem and the setting or argument to change; the CLI prints it as one line and exits
non-zero instead of showing a traceback.
"""


class CoachError(Exception):
    """Base class for errors reported to the user as one clear line."""


class ConfigurationError(CoachError):
    """A setting is unknown, malformed, or points at something unusable."""


class StoreUnavailableError(ConfigurationError):
    """The operational store cannot be reached or is not at the expected schema."""


class InputError(CoachError):
    """A command argument or an input file is invalid."""
