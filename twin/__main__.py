"""``python -m twin ...`` runs the command line, like the ``twin`` command."""

from twin.cli import main

main()
