"""The one exception type users see as a clean one-line message instead of a traceback."""

from __future__ import annotations


class EdgeharError(Exception):
    """A problem with the user's input or environment, worded for the user.

    The CLI prints ``error: <message>`` on stderr and exits non-zero; anything else that
    escapes a command is a bug and is reported the same way, with ``--debug`` for the trace.
    """

    exit_code = 2
