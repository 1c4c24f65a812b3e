"""Threat models drawn from the app's configuration on every run (``--nocode-threat-model``).

:mod:`.model` holds the types every form is drawn from; :mod:`.build` derives them from an App,
the data-flow engine and the run's findings.

PYTEST_DONT_REWRITE (see the package docstring)
"""
