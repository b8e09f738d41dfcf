"""The base of every failure a user can fix: stages print its message, not a traceback."""


class PipelineError(ValueError):
    """Bad input (params, data, a model file): the message names it, the rule and the fix."""
