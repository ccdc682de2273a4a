"""Command line interface: one module per command, registered in :mod:`edgehar.cli.main`."""
