"""The `gridgov` command: Django's management commands under the project's settings.

`gridgov seed --scale demo`, `gridgov audit verify`, `gridgov import households.xlsx`, …
`python -m gridgov …` is the same.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["gridgov", *sys.argv[1:]])


if __name__ == "__main__":
    main()
