"""``python -m orderhub`` runs the command line."""

from orderhub.cli import main

main()
