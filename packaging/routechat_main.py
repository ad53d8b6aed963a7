"""Entry point of the frozen app (PyInstaller): the same as `python -m desktop_app`."""

import os
import sys

from desktop_app.cli import main

if __name__ == "__main__":
    # A windowed Windows executable has no console: give print() somewhere to go.
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
    sys.exit(main())
