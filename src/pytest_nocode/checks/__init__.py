"""Built-in checks: one module per category, each test a reviewer's question.

They run against every ``--nocode-app`` and are written exactly like a team's own checks.

PYTEST_DONT_REWRITE (see the package docstring)
"""
