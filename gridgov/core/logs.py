"""Logging: a refusal (4xx) is one line, never a traceback.

Django logs a 403 or 404 raised as an exception with the exception's traceback; a hostile client
sending thousands of requests would fill the log with stacks that say nothing (the refusal itself
is in the audit log, gridgov.accounts.scope.deny). Server errors (5xx) keep their traceback.
"""

import logging


class RefusalsOnOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        refusal = status < 500 if status is not None else record.levelno < logging.ERROR
        if refusal and record.name.startswith(("django.request", "django.security")):
            record.exc_info = None
            record.exc_text = None
        return True
