"""Allure results that carry the audit trail: who owns a finding, what proves it, which policy
and waiver applied, and where the run came from.

Severity mapping (ours → Allure's), so Allure's own severity filters rank findings the same way:

    critical → blocker, high → critical, medium → normal, low → minor, info → trivial

A check's severity in Allure is the highest of its rule's severity (after the policy's
override) and its findings' own severities; a check that never ran (its app did not load)
has its rule's.

The layout is the auditor's, not Python's: App > category > rule (``parentSuite``, ``suite``,
``subSuite``, and the same ``titlePath`` Allure 3 builds its tree from), each result titled
``RULE · title``. Those labels are set when the checks are collected, so a check that errors
before it runs is filed in the same place.

Everything goes through allure-pytest's public API (``allure.dynamic``, ``allure.attach``)
during the test's call phase, so it works in xdist workers as in a single process. Secrets
never reach Allure: evidence is masked before it is attached, nothing secret is passed as an
Allure parameter (Allure's "masked" parameters are stored in clear in the result files), and a
last-line filter masks every known secret in each result before allure-commons writes it.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import getpass
import json
import os
import platform
import socket
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import allure_commons
import yaml

from pytest_nocode import __version__, jsontext
from pytest_nocode.findings import Rule, Severity

if TYPE_CHECKING:
    import pytest

    from pytest_nocode.model import App
    from pytest_nocode.policy import Policy
    from pytest_nocode.redaction import Redactor
    from pytest_nocode.run import NocodeRun

SEVERITY_TO_ALLURE: Mapping[str, str] = {
    "critical": "blocker", "high": "critical", "medium": "normal", "low": "minor",
    "info": "trivial",
}
OUTCOME_LABEL = "nocode_outcome"  # pass | fail | expired | waived | warn | skipped | error
WAIVER_LABEL = "nocode_waiver"
WAIVED_MESSAGE = "waived (accepted risk): "
EXPIRED_MARK = "waiver expired"
MAX_EVIDENCE_CHARS = 1500  # per resource, in the description
MAX_DESCRIBED_RESOURCES = 50  # each its own attachment; the rest in the overview's last one
LOAD_ERROR_MARK = "could not be loaded, so it cannot be checked"
# Which policy sections a category's result depends on, for the policy excerpt attachment.
POLICY_SECTIONS: Mapping[str, tuple[str, ...]] = {
    "connectors": ("connectors", "hosts"), "exports": ("hosts",),
    "encryption": ("hosts",), "configuration": ("settings",), "logging": ("settings",),
}

SUITE_LABELS = ("parentSuite", "suite", "subSuite")
ALLURE_SEVERITY_ORDER = ("trivial", "minor", "normal", "critical", "blocker")
ALLURE3_CONFIG = "allurerc.json"  # Allure 3: allure generate DIR --config DIR/allurerc.json
REPORT_NAME = "pytest-nocode audit"

CATEGORIES: list[dict[str, Any]] = [
    {"name": "Apps that could not be fetched or loaded", "matchedStatuses": ["broken", "failed"],
     "messageRegex": f"(?s).*{LOAD_ERROR_MARK}.*",
     "description": "The check could not run: the app's data was not available."},
    {"name": "Findings with an expired waiver", "matchedStatuses": ["failed"],
     "messageRegex": f"(?s).*\\({EXPIRED_MARK} .*",
     "description": "A waiver accepted this risk until a date that has passed."},
    {"name": "Waived findings (accepted risks)", "matchedStatuses": ["passed"],
     "messageRegex": f"(?s){WAIVED_MESSAGE.strip()}.*",
     "description": "Findings accepted by an unexpired waiver: the run passes, the risk stays."},
    {"name": "Security findings", "matchedStatuses": ["failed"],
     "messageRegex": "(?s).*offending resource.*",
     "description": "Checks that named offending resources."},
]


# Allure 3 reads categories from its configuration, not from categories.json, and its
# regular expressions are JavaScript's (no inline flags): the same four, matched on the
# outcome label each check carries, and on the load-error message for checks that never ran.
ALLURE3_CATEGORIES: list[dict[str, Any]] = [
    {"name": CATEGORIES[0]["name"],
     "matchers": {"statuses": ["broken", "failed"], "message": LOAD_ERROR_MARK}},
    {"name": CATEGORIES[1]["name"], "matchers": {"labels": {OUTCOME_LABEL: "^expired$"}}},
    {"name": CATEGORIES[2]["name"], "matchers": {"labels": {OUTCOME_LABEL: "^waived$"}}},
    {"name": CATEGORIES[3]["name"], "matchers": {"labels": {OUTCOME_LABEL: "^fail$"}}},
]


def is_active(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "allure_report_dir", None))


def rule_heading(rule: Rule) -> str:
    """A result's title and its rule's node in the tree: ``AUTH001 · Inbound endpoint …``."""
    return f"{rule.id} · {rule.title}"


def static_labels(rule: Rule, app_id: str) -> list[tuple[str, str]]:
    """What is known before a check runs: where it sits in the tree, what it is about, and
    its rule's severity (the findings may raise it when the check runs)."""
    labels = [("parentSuite", app_id), ("suite", rule.category), ("subSuite", rule_heading(rule)),
              ("epic", app_id), ("feature", rule.category), ("story", rule_heading(rule)),
              ("rule", rule.id), ("category", rule.category),
              ("severity", SEVERITY_TO_ALLURE[rule.severity.label])]
    labels += [("owasp", oid) for oid in rule.owasp]
    labels += [("tag", tag) for tag in dict.fromkeys((rule.id, rule.category, *rule.owasp))]
    return labels


class ResultLayout:
    """A pytest plugin that files each check under App > category > rule when it is collected
    (allure-pytest then leaves out its module-based suites)."""

    def __init__(self, run: NocodeRun) -> None:
        self.run = run

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        import pytest

        for item in items:
            marker = item.get_closest_marker("nocode_check")
            callspec = getattr(item, "callspec", None)
            if not (marker and marker.args and callspec and "nocode_app" in callspec.params):
                continue
            rule: Rule = marker.args[0]
            rule = rule.with_severity(self.run.policy.severity_for(rule.id, rule.severity))
            for name, value in static_labels(rule, str(callspec.params["nocode_app"])):
                item.add_marker(pytest.mark.allure_label(value, label_type=name))


def allure_severity(rule: Rule, findings: Iterable[Mapping[str, Any]]) -> str:
    worst = max([rule.severity, *(Severity.parse(f["severity"]) for f in findings)])
    return SEVERITY_TO_ALLURE[worst.label]


def workflow_of(path: str) -> str:
    """The workflow id in a resource path (``flows/<tab>/<node>``, ``workflows/<id>/…``)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] in ("flows", "workflows"):
        return parts[1]
    return ""


def owners_for(policy: Policy, app: App | None, app_id: str,
               findings: Iterable[Mapping[str, Any]]) -> list[str]:
    """Owners of the offending resources (by app, workflow name or workflow tag); the app's
    owner when nothing was found."""
    owners: list[str] = []
    paths = [f["resource"].get("path", "") for f in findings] or [""]
    for path in paths:
        wid = workflow_of(path)
        wf = app.workflow(wid) if app is not None and wid else None
        tags = wf.tags if wf is not None else ()
        # workflow globs match the workflow's name, as the inventory check reads them
        owner = policy.owner_for(app_id, wf.name if wf is not None else wid, tags)
        if owner and owner not in owners:
            owners.append(owner)
    return owners


def policy_excerpt(policy: Policy, rule: Rule, findings: Iterable[Mapping[str, Any]]
                   ) -> dict[str, Any]:
    """The parts of the policy this result depended on."""
    findings = list(findings)
    excerpt: dict[str, Any] = {"policy": policy.source, "sha256": policy.sha256}
    rules = policy.data.get("rules") or {}
    if rule.id in rules:
        excerpt["rules"] = {rule.id: rules[rule.id]}
    sections = list(POLICY_SECTIONS.get(rule.category, ()))
    if rule.id.startswith(("DRIFT", "KRI")):
        sections.append("kri")
    if any(f.get("risk") for f in findings):
        sections.append("risk")
    excerpt.update(policy.excerpt(*sections))
    waivers = [f["waiver"] for f in findings if f.get("waiver")]
    if waivers:
        unique = {w["source"]: w for w in waivers}
        excerpt["waivers_applied"] = list(unique.values())
    if policy.owners:
        excerpt["owners"] = [{k: v for k, v in o.__dict__.items() if v != "*"}
                             for o in policy.owners]
    return excerpt


def _excerpt_text(run: NocodeRun, rule: Rule, findings: list[dict[str, Any]]) -> str:
    """:func:`policy_excerpt` as YAML. Without waivers it depends only on the policy, the rule
    and whether a finding has a risk score, so each app's result of a check shares one text
    (``yaml.safe_dump`` of the excerpt, once per check rather than once per app)."""
    key = (rule.id, any(f.get("risk") for f in findings))
    waived = any(f.get("waiver") for f in findings)
    kept = run.audit.excerpt_texts.get(key)
    if kept is not None and kept[0] is run.policy and not waived:
        return kept[1]
    text = yaml.safe_dump(policy_excerpt(run.policy, rule, findings), sort_keys=False,
                          allow_unicode=True, width=float("inf"))  # no folded values
    if not waived:
        run.audit.excerpt_texts[key] = (run.policy, text)
    return text


def outcome(findings: Iterable[Mapping[str, Any]]) -> str:
    statuses = [f["status"] for f in findings]
    expired = [f for f in findings if f["status"] == "fail" and (f.get("waiver") or {}).get(
        "expired")]
    if expired:
        return "expired"
    if "fail" in statuses:
        return "fail"
    if "waived" in statuses:
        return "waived"
    if "warn" in statuses:
        return "warn"
    return "pass"


def _attach_written(data: Any, name: str, redactor: Redactor) -> None:
    """Attach ``data`` as the indented JSON ``json.dumps`` gives, written to a private
    temporary file in masked pieces (:func:`~pytest_nocode.redaction.json_pieces`) that
    allure-commons copies: on 20,000 workflows one check's thousands of findings, encoded
    at once, were the run's peak memory."""
    import tempfile

    import allure

    from pytest_nocode.redaction import json_pieces

    fd, aside = tempfile.mkstemp(prefix="pytest-nocode-", suffix=".json")  # 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.writelines(json_pieces(data, redactor))
        allure.attach.file(aside, name=name, attachment_type=allure.attachment_type.JSON)
    finally:
        os.unlink(aside)


def annotate(run: NocodeRun, app: App | None, app_id: str, rule: Rule,
             findings: list[dict[str, Any]], stopped: str | None = None) -> None:
    """Labels, links and attachments of one check result (call phase, any process). A check
    that skipped or broke off is labelled so, never "pass": it did not get to judge."""
    import allure

    redact = run.redactor  # findings are masked already; each text gets one last pass
    allure.dynamic.severity(allure_severity(rule, findings))  # the worst wins (ResultFilter)
    for owner in owners_for(run.policy, app, app_id, findings):
        allure.dynamic.label("owner", owner)
    judged = outcome(findings)
    allure.dynamic.label(OUTCOME_LABEL, stopped if stopped and judged in ("pass", "warn")
                         else judged)
    if findings:
        allure.dynamic.label("risk", str(max(int(f.get("risk") or 0) for f in findings)))
    for source in dict.fromkeys(f["waiver"]["source"] for f in findings if f.get("waiver")):
        w = next(f["waiver"] for f in findings if (f.get("waiver") or {}).get("source") == source)
        allure.dynamic.label(WAIVER_LABEL, redact.text(
            f"{source}: owner {w['owner']}, expires {w['expires']}"
            + (f", {w['ticket']}" if w.get("ticket") else "") + f": {w['justification']}"))
    if rule.docs:
        allure.dynamic.link(rule.docs, name=f"{rule.id} documentation")
    by_resource: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in findings:
        by_resource.setdefault((f["resource"]["kind"], f["resource"]["id"]), []).append(f)
    allure.dynamic.description(redact.text(describe(rule, findings, by_resource)))
    bodies = [{"app": app_id, "rule": rule.id, "resource": group[0]["resource"], "findings": [
        {k: v for k, v in f.items() if k not in ("app", "rule", "resource")} for f in group]}
        for group in by_resource.values()]
    # one attachment per resource described in the overview; the rest share one: each is a
    # file allure-commons writes and renames (about a millisecond each)
    for body in bodies[:MAX_DESCRIBED_RESOURCES]:
        res = body["resource"]
        allure.attach(redact.json_text(jsontext.dumps(body)),
                      name=f"evidence: {res['kind']} {res['id']}"
                           + (f" ({res['name']})" if res.get("name") not in ("", res["id"])
                              else ""),
                      attachment_type=allure.attachment_type.JSON)
    rest = bodies[MAX_DESCRIBED_RESOURCES:]
    if rest:
        _attach_written(rest, f"evidence: {len(rest)} more resource(s)", redact)
    if rule.remediation:
        allure.attach(redact.text(rule.remediation), name="remediation",
                      attachment_type=allure.attachment_type.TEXT)
    allure.attach(redact.text(_excerpt_text(run, rule, findings)), name="policy excerpt",
                  attachment_type=allure.attachment_type.YAML)


def describe(rule: Rule, findings: list[dict[str, Any]],
             by_resource: Mapping[tuple[str, str], list[dict[str, Any]]]) -> str:
    """Markdown for the result's overview: why the rule matters, each finding, its evidence
    (shown in the report itself, not only in attachments a reviewer must open)."""
    parts = [rule.rationale] if rule.rationale else []
    if not findings:
        parts.append("No offending resources.")
        return "\n\n".join(parts)
    parts.append(f"**{len(findings)} offending resource(s)**")
    parts.append("\n".join(
        f"- [{f['severity']}, risk {f.get('risk', 0)}, {f['status']}] {f['resource']['kind']} "
        f"`{f['resource']['id']}`: {f['message']}" for f in findings))
    parts.append("**Evidence**")
    for n, ((kind, rid), group) in enumerate(by_resource.items()):
        if n == MAX_DESCRIBED_RESOURCES:
            parts.append(f"… and {len(by_resource) - n} more resource(s): see the attachments.")
            break
        text = json.dumps([f["evidence"] for f in group], indent=1, ensure_ascii=False,
                          default=str)
        if len(text) > MAX_EVIDENCE_CHARS:
            text = text[:MAX_EVIDENCE_CHARS] + "\n… (cut; the attachment has it all)"
        parts.append(f"{kind} `{rid}`:\n\n```json\n{text}\n```")
    return "\n\n".join(parts)


# -- the last line of defence, and the waived message ----------------------------------------
def _lay_out(result: Any) -> None:
    """One of each label (the rule's are set at collection and again by a custom check's own
    code), the worst severity, and a check's title and tree path from its rule."""
    from allure_commons.model2 import Label

    seen: set[tuple[str, str]] = set()
    labels = []
    severities = []
    for label in result.labels:
        if label.name == "severity":
            severities.append(label.value)
        elif (label.name, label.value) not in seen:
            seen.add((label.name, label.value))
            labels.append(label)
    known = [s for s in severities if s in ALLURE_SEVERITY_ORDER]
    if known:
        labels.append(Label("severity", max(known, key=ALLURE_SEVERITY_ORDER.index)))
    result.labels = labels
    values = {label.name: label.value for label in labels}
    if "rule" in values and all(name in values for name in SUITE_LABELS):
        result.name = values["subSuite"]
        result.titlePath = [values[name] for name in SUITE_LABELS]


class ResultFilter:
    """An allure-commons plugin that sees each result just before it is written: it masks
    every known secret, marks checks that could not load their app as broken, and gives a
    waived check the status message Allure categories match on."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def _mask(self, obj: Any) -> None:
        import attr

        for a in attr.fields(type(obj)):
            value = getattr(obj, a.name)
            if isinstance(value, str):
                setattr(obj, a.name, self.redactor.text(value))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    if isinstance(v, str):
                        value[i] = self.redactor.text(v)
                    elif attr.has(type(v)):
                        self._mask(v)
            elif attr.has(type(value)):
                self._mask(value)

    def _finish(self, result: Any) -> None:
        from allure_commons.model2 import Status, StatusDetails

        _lay_out(result)
        labels: dict[str, list[str]] = {}
        for label in result.labels:
            labels.setdefault(label.name, []).append(label.value)
        message = (result.statusDetails.message or "") if result.statusDetails else ""
        if result.status == Status.FAILED and LOAD_ERROR_MARK in message:
            result.status = Status.BROKEN
        if result.status == Status.PASSED and labels.get(OUTCOME_LABEL) == ["waived"]:
            waivers = labels.get(WAIVER_LABEL, [])
            result.statusDetails = StatusDetails(
                message=WAIVED_MESSAGE + "; ".join(waivers),
                trace="The findings stay in the evidence; the waiver(s) accepted them.")

    @allure_commons.hookimpl(tryfirst=True)
    def report_result(self, result: Any) -> None:
        self._finish(result)
        if len(self.redactor):
            self._mask(result)

    @allure_commons.hookimpl(tryfirst=True)
    def report_container(self, container: Any) -> None:
        if len(self.redactor):
            self._mask(container)


def install(config: pytest.Config, run: NocodeRun) -> None:
    """Register the result filter with allure-commons for this session (any process)."""
    if not is_active(config):
        return
    result_filter = ResultFilter(run.redactor)
    name = f"pytest-nocode-filter-{id(result_filter)}"
    allure_commons.plugin_manager.register(result_filter, name)
    config.add_cleanup(lambda: allure_commons.plugin_manager.unregister(name=name))
    config.pluginmanager.register(ResultLayout(run), "nocode-allure-layout")


# -- checks that were never items: one skipped result each, written by the controller ------
def write_not_applicable(config: pytest.Config, run: NocodeRun) -> None:
    """A skipped result for each check left out of the run as not applicable
    (``pytest_nocode.applicability``), as allure-pytest wrote it when the check was an item
    skipped at set-up: under its app, category and rule, the reason as its message. Through
    allure-commons' hook, so the result filter lays it out and masks it like any other."""
    if not is_active(config) or not run.left_out:
        return
    from allure_commons.model2 import Label, Parameter, Status, StatusDetails, TestResult
    from allure_commons.utils import host_tag, md5, now, platform_label, thread_tag, uuid4

    when = now()
    common = [("host", host_tag()), ("thread", thread_tag()), ("framework", "pytest"),
              ("language", platform_label())]
    for check in run.left_out:
        rule = check.rule
        labels = [*static_labels(rule, check.app_id), *common,
                  ("package", check.full_name.partition("#")[0])]
        result = TestResult(
            name=rule_heading(rule), status=Status.SKIPPED,
            statusDetails=StatusDetails(message=f"Skipped: {check.reason}"),
            parameters=[Parameter(name=name, value=repr(value)) for name, value in check.params],
            start=when, stop=when, uuid=uuid4(), fullName=check.full_name,
            historyId=md5(check.full_name, *(value for _, value in sorted(check.params))),
            testCaseId=md5(check.full_name),
            labels=[Label(name, value) for name, value in labels])
        allure_commons.plugin_manager.hook.report_result(result=result)


# -- run files, written once by the controller -----------------------------------------------
def _escape(text: str, key: bool = False) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif key and ch in " :=#!":
            out.append("\\" + ch)
        elif ord(ch) > 0x7E or ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def who_ran() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    actor = os.environ.get("GITHUB_ACTOR") or os.environ.get("GITLAB_USER_LOGIN") \
        or os.environ.get("BUILD_REQUESTEDFOR") or os.environ.get("BUILD_USER_ID")
    return f"{user} (CI actor {actor})" if actor else user


def environment(run: NocodeRun, finished: datetime) -> dict[str, str]:
    apps = []
    for spec in run.specs:
        loaded = run.loaded.get(spec.id)
        apps.append({"id": spec.id, "platform": spec.platform, "uri": spec.uri,
                     "source": loaded.source if loaded else spec.source,
                     "snapshot_sha256": loaded.sha256 if loaded else ""})
    state = getattr(run, "audit", None)
    return environment_of(run.started, finished, run.policy.source, run.policy.sha256, apps,
                          getattr(state, "app_risk", None) or {},
                          getattr(state, "top_risks", None) or [],
                          getattr(state, "environment", None) or {})


def environment_of(started: datetime, finished: datetime, policy_source: str,
                   policy_sha256: str, apps: Iterable[Mapping[str, Any]],
                   app_risk: Mapping[str, Mapping[str, int]],
                   top_risks: Iterable[Mapping[str, Any]],
                   extra: Mapping[str, str]) -> dict[str, str]:
    """environment.properties of a run, or of CI shards merged into one (``merge.py``)."""
    apps = list(apps)
    env = {
        "tool.version": f"pytest-nocode {__version__}",
        "python": platform.python_version(),
        "run.started": started.isoformat(timespec="seconds"),
        "run.finished": finished.isoformat(timespec="seconds"),
        "run.duration_seconds": f"{(finished - started).total_seconds():.1f}",
        "run.by": who_ran(),
        "run.host": socket.gethostname(),
        "policy.source": policy_source,
        "policy.sha256": policy_sha256,
        "platforms": ", ".join(sorted({a["platform"] for a in apps})),
        "apps": ", ".join(a["id"] for a in apps),
    }
    for app in apps:
        env[f"app.{app['id']}.uri"] = app["uri"]
        env[f"app.{app['id']}.source"] = app["source"]
        env[f"app.{app['id']}.snapshot_sha256"] = app["snapshot_sha256"] or "not loaded"
    for app_id, risk in app_risk.items():
        env[f"app.{app_id}.risk"] = f"max {risk['max']}, sum {risk['sum']}, " \
                                    f"{risk['open_findings']} open finding(s)"
    for i, top in enumerate(top_risks, start=1):
        env[f"top_risk.{i}"] = (f"{top['risk']} {top['app']} {top['rule']} "
                                f"{top['resource']['kind']} {top['resource']['id']}")
    env.update(extra)
    return env


def executor() -> dict[str, Any]:
    """Allure's executor.json: the CI build that produced the results, or 'local'."""
    e = os.environ
    if e.get("GITHUB_ACTIONS") == "true":
        server = e.get("GITHUB_SERVER_URL", "https://github.com")
        repo = e.get("GITHUB_REPOSITORY", "")
        run_id = e.get("GITHUB_RUN_ID", "")
        return {"name": "GitHub Actions", "type": "github", "url": f"{server}/{repo}",
                "buildOrder": int(e.get("GITHUB_RUN_NUMBER", "0") or 0),
                "buildName": f"{e.get('GITHUB_WORKFLOW', 'workflow')} #"
                             f"{e.get('GITHUB_RUN_NUMBER', '')}",
                "buildUrl": f"{server}/{repo}/actions/runs/{run_id}" if run_id else ""}
    if e.get("GITLAB_CI") == "true":
        return {"name": "GitLab CI", "type": "gitlab", "url": e.get("CI_PROJECT_URL", ""),
                "buildOrder": int(e.get("CI_PIPELINE_IID", "0") or 0),
                "buildName": f"{e.get('CI_JOB_NAME', 'job')} #{e.get('CI_PIPELINE_IID', '')}",
                "buildUrl": e.get("CI_JOB_URL", "")}
    if e.get("JENKINS_URL"):
        return {"name": "Jenkins", "type": "jenkins", "url": e.get("JENKINS_URL", ""),
                "buildOrder": int(e.get("BUILD_NUMBER", "0") or 0),
                "buildName": e.get("BUILD_TAG") or e.get("JOB_NAME", ""),
                "buildUrl": e.get("BUILD_URL", "")}
    if e.get("CI"):
        return {"name": "CI", "type": "ci", "buildName": e.get("CI_JOB_ID", "ci build")}
    return {"name": "local", "type": "local", "buildName": f"{who_ran()}@{socket.gethostname()}"}


def allure3_config() -> dict[str, Any]:
    """Allure 3's configuration for these results: the categories (which Allure 3 does not
    read from categories.json) and the App > category > rule tree."""
    return {"name": REPORT_NAME,
            "categories": {"rules": ALLURE3_CATEGORIES},
            "plugins": {"awesome": {"options": {"reportName": REPORT_NAME,
                                                "groupBy": list(SUITE_LABELS)}}}}


RUN_FILES = ("environment.properties", "executor.json", "categories.json", ALLURE3_CONFIG)


def write_run_files(config: pytest.Config, run: NocodeRun) -> Path | None:
    """environment.properties, executor.json, categories.json (Allure 2) and allurerc.json
    (Allure 3) in ``--alluredir``."""
    if not is_active(config):
        return None
    folder = Path(config.option.allure_report_dir).absolute()
    write_run_files_to(folder, run.redactor.data(environment(run, datetime.now(UTC))),
                       run.redactor.data(executor()))
    return folder


def write_run_files_to(folder: Path, env: Mapping[str, Any], executor_json: Any) -> None:
    """The files of ``RUN_FILES``, from an environment and executor already masked."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{_escape(k, key=True)}={_escape(str(v))}" for k, v in env.items()]
    (folder / "environment.properties").write_text("\n".join(lines) + "\n", encoding="ascii")
    (folder / "executor.json").write_text(json.dumps(executor_json, indent=2) + "\n",
                                          encoding="utf-8")
    (folder / "categories.json").write_text(json.dumps(CATEGORIES, indent=2) + "\n",
                                            encoding="utf-8")
    (folder / ALLURE3_CONFIG).write_text(json.dumps(allure3_config(), indent=2,
                                                    ensure_ascii=False) + "\n", encoding="utf-8")
