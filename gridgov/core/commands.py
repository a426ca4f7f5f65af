"""Every management command runs as an audit actor of its own (channel "command").

Writes made by `gridgov seed`, `gridgov import`, `createsuperuser` or any later command are
logged by the audit signals like any other write; wrapping BaseCommand.execute once here means
no command can forget to say who it is.
"""

import functools
import getpass
from typing import Any

from django.core.management.base import BaseCommand

from gridgov.core.context import acting_as, current_actor


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (some containers): the command name still identifies it
        return "?"


def install() -> None:
    original = BaseCommand.execute
    if getattr(original, "_gridgov_actor", False):
        return

    @functools.wraps(original)
    def execute(self: BaseCommand, *args: Any, **options: Any) -> Any:
        if current_actor().channel != "system":  # already acting for someone (a test, a caller)
            return original(self, *args, **options)
        name = type(self).__module__.rsplit(".", 1)[-1]
        with acting_as(None, channel="command", username=f"command:{name} ({_os_user()})"):
            return original(self, *args, **options)

    execute._gridgov_actor = True  # type: ignore[attr-defined]
    BaseCommand.execute = execute  # type: ignore[method-assign]
