"""Reporters: they read findings (and the run's provenance) and nothing else.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_nocode.redaction import json_pieces
from pytest_nocode.run import invocation_path, option_value

if TYPE_CHECKING:
    import pytest

    from pytest_nocode.redaction import Redactor
    from pytest_nocode.run import NocodeRun


def write_json(path: Path, data: Any, redactor: Redactor | None = None) -> None:
    """Write ``data`` atomically as indented JSON, in pieces
    (:func:`~pytest_nocode.redaction.json_pieces`); with a redactor, after one last pass over
    the text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        out.writelines(json_pieces(data, redactor))
        out.write("\n")
    tmp.replace(path)


def write_reports(config: pytest.Config, run: NocodeRun) -> None:
    """Write the findings JSON and SARIF files the user asked for, and the Allure results of
    the checks that were not applicable before they became test items."""
    from pytest_nocode.reporting.allure import write_not_applicable
    from pytest_nocode.reporting.findings_json import build_report

    write_not_applicable(config, run)

    report = build_report(run)  # findings were masked where they were made
    config.hook.pytest_nocode_report(report=report)
    json_path = option_value(config, "json")
    if json_path:
        write_json(invocation_path(config, json_path), report, run.redactor)
    sarif_path = option_value(config, "sarif")
    if sarif_path:
        from pytest_nocode.reporting.sarif import build_sarif

        write_json(invocation_path(config, sarif_path), build_sarif(report, run.rules),
                   run.redactor)
