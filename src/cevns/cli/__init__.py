"""The ``cevns`` command line (click): fit, scan, reproduce, data, info, plot."""

from cevns.cli.app import main

__all__ = ["main"]
