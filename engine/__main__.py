"""``python -m engine`` is the same as the ``docflow`` command."""

from engine.cli import main

main()
