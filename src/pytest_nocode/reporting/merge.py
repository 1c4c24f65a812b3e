"""``pytest-nocode merge OUT SHARD…``: one report from the shards of a CI job matrix.

Each SHARD is the folder one job left behind (its artifact): the findings JSON it wrote with
``--nocode-json`` (required: it is the source of truth) and, where the jobs wrote them, its
SARIF log, its evidence log and its Allure results folder, found by their content, not by
their names. OUT receives ``findings.json``, ``findings.sarif``, ``allure-results/`` and
``evidence-log.jsonl``, each only when the shards had that output.

Whatever depends on the whole run is recomputed from the merged findings, never summed: app
risk, top risks, stale waivers, the evidence record's counts and findings digest. Merging is
refused, with one line naming the files, when the shards cannot be one run: an app in two
shards, another tool version or policy, a shard of ``--nocode-shard=I/N`` missing or twice.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_nocode.errors import InputError
from pytest_nocode.platforms import read_json_file
from pytest_nocode.reporting import write_json
from pytest_nocode.reporting.findings_json import SCHEMA, SEVERITY_ORDER, finding_sort_key
from pytest_nocode.risk import aggregate, top_risks

SARIF_VERSION = "2.1.0"
ALLURE_RESULT_SUFFIXES = ("-result.json", "-container.json")
REPORT_NAME = "findings.json"
SARIF_NAME = "findings.sarif"
ALLURE_NAME = "allure-results"
EVIDENCE_NAME = "evidence-log.jsonl"
# How far a stale waiver got in a shard; the merged run's reason is the furthest any got.
STALE_REASONS = ("no app of this run matches its app glob", "no check with a matching rule ran",
                 "no finding matched")


@dataclass
class Shard:
    """What one CI job left behind, read and checked."""

    folder: Path
    report_path: Path
    report: dict[str, Any]
    sarif_path: Path | None = None
    sarif: dict[str, Any] | None = None
    log_path: Path | None = None
    record: dict[str, Any] | None = None  # the log's last record: this shard's run
    allure_dir: Path | None = None
    app_ids: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.folder)

    @property
    def number(self) -> str:
        return str(self.report["run"].get("shard") or "")


@dataclass
class Merged:
    """The paths written, and the merged run's verdict (as its shards' pytest would give)."""

    written: list[Path]
    report: dict[str, Any]
    failed: bool


# -- reading a shard -----------------------------------------------------------------------
def _expect(condition: bool, path: Path, where: str, expected: str) -> None:
    if not condition:
        raise InputError(f"{path}: {where}: expected {expected}")


def _check_report(path: Path, report: Any) -> list[str]:
    """The shape merging relies on; the app ids, in order."""
    _expect(isinstance(report, dict) and report.get("schema") == SCHEMA, path, "$.schema",
            repr(SCHEMA))
    for key, kind in (("tool", dict), ("run", dict), ("apps", list), ("findings", list),
                      ("not_applicable", list), ("stale_waivers", list)):
        _expect(isinstance(report.get(key), kind), path, f"$.{key}",
                "an object" if kind is dict else "a list")
    _expect(isinstance(report["tool"].get("version"), str), path, "$.tool.version", "a string")
    for key in ("started", "finished", "policy_sha256"):
        _expect(isinstance(report["run"].get(key), str), path, f"$.run.{key}", "a string")
    for key in ("started", "finished"):
        try:
            when = datetime.fromisoformat(report["run"][key])
        except ValueError:
            when = None
        # a run writes its times with their UTC offset; one without cannot be ordered with them
        _expect(when is not None and when.utcoffset() is not None, path, f"$.run.{key}",
                "an ISO-8601 time with a UTC offset")
    ids = []
    for i, app in enumerate(report["apps"]):
        _expect(isinstance(app, dict) and isinstance(app.get("id"), str), path,
                f"$.apps[{i}].id", "a string")
        for key in ("uri", "platform", "source", "snapshot_sha256"):
            _expect(isinstance(app.get(key), str), path, f"$.apps[{i}].{key}", "a string")
        ids.append(app["id"])
    for i, finding in enumerate(report["findings"]):
        where = f"$.findings[{i}]"
        _expect(isinstance(finding, dict), path, where, "an object")
        for key in ("app", "rule", "severity", "status", "message"):
            _expect(isinstance(finding.get(key), str), path, f"{where}.{key}", "a string")
        _expect(finding["app"] in ids, path, f"{where}.app", f"one of $.apps[].id {ids}")
        _expect(finding["severity"] in SEVERITY_ORDER, path, f"{where}.severity",
                " | ".join(SEVERITY_ORDER))
        resource = finding.get("resource")
        _expect(isinstance(resource, dict) and all(isinstance(resource.get(k), str)
                                                   for k in ("kind", "id", "path")),
                path, f"{where}.resource", "an object with kind, id and path")
        _expect(finding.get("risk") is None or type(finding["risk"]) is int, path,
                f"{where}.risk", "an integer")
    for i, item in enumerate(report["not_applicable"]):
        _expect(isinstance(item, dict) and isinstance(item.get("check"), str), path,
                f"$.not_applicable[{i}].check", "a string")
    for key in ("waivers_file", "baseline"):
        _expect(isinstance(report.get(key, {}), dict), path, f"$.{key}", "an object")
    if "baseline" in report:
        written = report["baseline"].get("apps_written") or []
        _expect(isinstance(written, list) and all(isinstance(a, str) for a in written), path,
                "$.baseline.apps_written", "a list of app ids")
    for i, stale in enumerate(report["stale_waivers"]):
        _expect(isinstance(stale, dict) and stale.get("reason") in STALE_REASONS, path,
                f"$.stale_waivers[{i}].reason", " | ".join(STALE_REASONS))
    return ids


def _check_sarif(path: Path, log: Any) -> None:
    _expect(isinstance(log, dict) and log.get("version") == SARIF_VERSION, path, "$.version",
            repr(SARIF_VERSION))
    runs = log.get("runs")
    _expect(isinstance(runs, list) and len(runs) == 1 and isinstance(runs[0], dict), path,
            "$.runs", "one run, as pytest-nocode writes")
    run = runs[0]
    driver = (run.get("tool") or {}).get("driver")
    _expect(isinstance(driver, dict) and driver.get("name") == "pytest-nocode", path,
            "$.runs[0].tool.driver.name", "'pytest-nocode'")
    _expect(isinstance(driver.get("rules"), list) and all(
        isinstance(r, dict) and isinstance(r.get("id"), str) for r in driver["rules"]),
        path, "$.runs[0].tool.driver.rules", "a list of rules with ids")
    for key in ("results", "invocations"):
        _expect(isinstance(run.get(key), list) and all(isinstance(x, dict) for x in run[key]),
                path, f"$.runs[0].{key}", "a list of objects")
    for i, result in enumerate(run["results"]):
        props = result.get("properties") if isinstance(result, dict) else None
        _expect(isinstance(props, dict) and isinstance(props.get("resource"), dict)
                and isinstance(result.get("ruleId"), str), path,
                f"$.runs[0].results[{i}]", "a result with ruleId and properties.resource")
        for key in ("app", "severity"):  # what merged results are ordered by
            _expect(isinstance(props.get(key, ""), str), path,
                    f"$.runs[0].results[{i}].properties.{key}", "a string")
    for i, invocation in enumerate(run["invocations"]):
        _expect(isinstance(invocation.get("properties", {}), dict), path,
                f"$.runs[0].invocations[{i}].properties", "an object")
    _expect(isinstance(run.get("properties"), dict)
            and isinstance(run["properties"].get("apps"), list)
            and all(isinstance(a, dict) and isinstance(a.get("id"), str)
                    for a in run["properties"]["apps"]), path,
            "$.runs[0].properties.apps", "a list of objects with ids")


def _kind_of_json(path: Path) -> tuple[str, Any]:
    """("report" | "sarif" | "", data) for a JSON file of a shard; other tools' SARIF logs
    and other JSON files are not ours to merge."""
    data = read_json_file(path)
    if isinstance(data, dict) and data.get("schema") == SCHEMA:
        return "report", data
    runs = data.get("runs") if isinstance(data, dict) and "version" in data else None
    if isinstance(runs, list) and any(
            isinstance(run, dict) and isinstance(run.get("tool"), dict)
            and isinstance(run["tool"].get("driver"), dict)
            and run["tool"]["driver"].get("name") == "pytest-nocode"
            for run in runs):
        return "sarif", data
    return "", data


def _is_evidence_log(path: Path) -> bool:
    from pytest_nocode.reporting.evidence_log import SCHEMA as LOG_SCHEMA

    try:
        with path.open(encoding="utf-8") as fh:
            first = json.loads(fh.readline() or "null")
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(first, dict) and first.get("schema") == LOG_SCHEMA


def read_shard(folder: Path) -> Shard:
    """Find and check the outputs in one shard's folder; an InputError names what is wrong."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder (a shard is the folder one CI job's "
                         "outputs were downloaded to)")
    allure = sorted({p.parent for suffix in ALLURE_RESULT_SUFFIXES
                     for p in folder.rglob(f"*{suffix}")})
    if len(allure) > 1:
        raise InputError(f"{folder}: Allure results in more than one folder: "
                         f"{', '.join(map(str, allure))}")
    found: dict[str, list[tuple[Path, Any]]] = {"report": [], "sarif": [], "log": []}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or (allure and path.parent == allure[0]):
            continue
        if path.suffix in (".json", ".sarif"):
            kind, data = _kind_of_json(path)
            if kind:
                found[kind].append((path, data))
        elif path.suffix in (".jsonl", ".log") and _is_evidence_log(path):
            found["log"].append((path, None))
    for kind, label in (("report", "findings report"), ("sarif", "SARIF log"),
                        ("log", "evidence log")):
        if len(found[kind]) > 1:
            raise InputError(f"{folder}: more than one {label}: "
                             f"{', '.join(str(p) for p, _ in found[kind])}")
    if not found["report"]:
        raise InputError(f"{folder}: no findings report ({SCHEMA}) in this shard: run each "
                         "shard with --nocode-json=PATH and keep that file in its artifact")
    report_path, report = found["report"][0]
    shard = Shard(folder, report_path, report, app_ids=_check_report(report_path, report))
    if found["sarif"]:
        shard.sarif_path, shard.sarif = found["sarif"][0]
        _check_sarif(shard.sarif_path, shard.sarif)
    if found["log"]:
        shard.log_path = found["log"][0][0]
        shard.record = _last_record(shard)
    shard.allure_dir = allure[0] if allure else None
    return shard


def _last_record(shard: Shard) -> dict[str, Any]:
    """The evidence log's last record, which must be the run of the shard's findings report."""
    from pytest_nocode.reporting.evidence_log import evidence_key, findings_digest, verify

    assert shard.log_path is not None
    verdict = verify(shard.log_path, key=evidence_key())  # a keyed log needs its key
    if not verdict.ok:
        raise InputError(f"{shard.log_path}: {verdict.message}")
    lines = shard.log_path.read_text(encoding="utf-8").splitlines()
    record: dict[str, Any] = json.loads(lines[-1])
    where = f"{shard.log_path}: record {record['seq']}"
    checks = (record.get("counts") or {}).get("checks") if isinstance(
        record.get("counts"), dict) else None
    _expect(isinstance(checks, dict) and all(type(checks.get(k)) is int
                                             for k in ("collected", "failed")),
            shard.log_path, f"record {record['seq']}: $.counts.checks", "collected and failed")
    _expect(type(record.get("exit_status")) is int, shard.log_path,
            f"record {record['seq']}: $.exit_status", "an integer")
    _expect(isinstance(record.get("apps"), list) and all(isinstance(a, dict)
                                                         for a in record["apps"]),
            shard.log_path, f"record {record['seq']}: $.apps", "a list of objects")
    if [a.get("id") for a in record.get("apps") or []] != shard.app_ids \
            or record.get("findings_digest") != findings_digest(shard.report["findings"]):
        raise InputError(f"{where}: not the run of {shard.report_path} (other apps or "
                         "findings): keep each shard's log and report from the same run")
    return record


# -- checks across shards ------------------------------------------------------------------
def _same(shards: Sequence[Shard], what: str, value: Callable[[Shard], Any]) -> Any:
    first = shards[0]
    for other in shards[1:]:
        if value(other) != value(first):
            raise InputError(f"shards {first.name} and {other.name} differ in {what} "
                             f"({value(first)!r} and {value(other)!r}): they are not one run")
    return value(first)


def check_one_run(shards: Sequence[Shard]) -> None:
    """Refuse shards that cannot be one run: same tool, policy, options; each app once."""
    _same(shards, "tool version ($.tool.version)", lambda s: s.report["tool"]["version"])
    _same(shards, "policy ($.run.policy_sha256)", lambda s: s.report["run"]["policy_sha256"])
    _same(shards, "waivers file ($.waivers_file.sha256)",
          lambda s: (s.report.get("waivers_file") or {}).get("sha256"))
    _same(shards, "fail-on threshold ($.fail_on)", lambda s: s.report.get("fail_on"))
    _same(shards, "baseline use ($.baseline)", lambda s: "baseline" in s.report)
    for label, has in (("a SARIF log", lambda s: s.sarif is not None),
                       ("an evidence log", lambda s: s.record is not None),
                       ("Allure results", lambda s: s.allure_dir is not None)):
        with_it = [s.name for s in shards if has(s)]
        without = [s.name for s in shards if not has(s)]
        if with_it and without:
            raise InputError(f"shard {without[0]} has no {label} but {with_it[0]} has: "
                             "every shard must write the same outputs")
    for shard in shards:
        if shard.sarif is not None:
            driver = shard.sarif["runs"][0]["tool"]["driver"]
            if driver.get("version") != shard.report["tool"]["version"]:
                raise InputError(f"{shard.sarif_path}: $.runs[0].tool.driver.version is "
                                 f"{driver.get('version')!r}, {shard.report_path} says "
                                 f"{shard.report['tool']['version']!r}")
    owner: dict[str, Shard] = {}
    for shard in shards:
        for app_id in shard.app_ids:
            if app_id in owner:
                raise InputError(f"app {app_id} is in two shards, {owner[app_id].name} and "
                                 f"{shard.name}: each app must be checked by one shard")
            owner[app_id] = shard
    _check_shard_numbers(shards)


def _check_shard_numbers(shards: Sequence[Shard]) -> None:
    numbered = [s for s in shards if s.number]
    if not numbered:
        return
    if len(numbered) != len(shards):
        plain = next(s for s in shards if not s.number)
        raise InputError(f"shard {plain.name} ran without --nocode-shard, {numbered[0].name} "
                         f"with --nocode-shard={numbered[0].number}")
    total = _same(shards, "shard count (--nocode-shard=I/N)",
                  lambda s: s.number.partition("/")[2])
    seen: dict[str, Shard] = {}
    for shard in shards:
        if shard.number in seen:
            raise InputError(f"shards {seen[shard.number].name} and {shard.name} are both "
                             f"--nocode-shard={shard.number}")
        seen[shard.number] = shard
    missing = [f"{i}/{total}" for i in range(1, int(total) + 1) if f"{i}/{total}" not in seen]
    if missing:
        raise InputError(f"shard {', '.join(missing)} missing: merge every shard of the "
                         "matrix, or the merged report would pass apps nobody checked")


# -- merging -------------------------------------------------------------------------------
def _stale_waivers(shards: Sequence[Shard]) -> list[dict[str, Any]]:
    """Waivers stale in every shard: a waiver that matched a finding anywhere is in use."""
    def key(stale: Mapping[str, Any]) -> str:
        return json.dumps({k: v for k, v in stale.items() if k != "reason"}, sort_keys=True)

    per_shard = [{key(s): s for s in shard.report["stale_waivers"]} for shard in shards]
    merged = []
    for k, stale in per_shard[0].items():
        if all(k in other for other in per_shard[1:]):
            reason = max((other[k]["reason"] for other in per_shard), key=STALE_REASONS.index)
            merged.append({**stale, "reason": reason})
    return merged


def _alike(shards: Sequence[Shard], section: Callable[[Shard], Mapping[str, Any]],
           skip: Iterable[str]) -> dict[str, Any]:
    """The entries of ``section`` every shard has with the same value: what plugins' report
    hooks add (a team name, a ticket) survives the merge; what differs has no merged value."""
    first, skip = section(shards[0]), set(skip)
    return {k: v for k, v in first.items() if k not in skip
            and all(section(s).get(k, object()) == v for s in shards[1:])}


def merge_reports(shards: Sequence[Shard]) -> dict[str, Any]:
    """The findings report one unsharded run would have written, plus each shard's run."""
    first = shards[0].report
    findings = sorted((f for s in shards for f in s.report["findings"]), key=finding_sort_key)
    apps = []
    for shard in shards:
        for app in shard.report["apps"]:
            apps.append({**app, "risk": aggregate(f for f in findings if f["app"] == app["id"])})
    run = {
        **_alike(shards, lambda s: s.report["run"], ("shard",)),
        "started": min((s.report["run"]["started"] for s in shards), key=datetime.fromisoformat),
        "finished": max((s.report["run"]["finished"] for s in shards),
                        key=datetime.fromisoformat),
        "policy_sha256": first["run"]["policy_sha256"],
        "policy": first["run"].get("policy", ""),
        "shards": [_provenance(s) for s in shards],
    }
    report: dict[str, Any] = {
        **_alike(shards, lambda s: s.report, ("run", "apps", "findings", "not_applicable",
                                              "top_risks", "stale_waivers", "baseline")),
        "schema": SCHEMA, "tool": first["tool"], "run": run, "apps": apps,
        "findings": findings,
        "not_applicable": sorted((n for s in shards for n in s.report["not_applicable"]),
                                 key=lambda n: (n["check"], str(n.get("reason", "")))),
        "fail_on": first.get("fail_on"),
        "top_risks": top_risks(findings),
        "stale_waivers": _stale_waivers(shards),
    }
    if "waivers_file" in first:  # the same file (sha256 checked), perhaps at another path
        report["waivers_file"] = first["waivers_file"]
    if "baseline" in first:
        written = [s.report["baseline"] for s in shards]
        report["baseline"] = {"path": first["baseline"].get("path"),
                              "written": any(b.get("written") for b in written),
                              "apps_written": sorted(a for b in written
                                                     for a in b.get("apps_written") or [])}
    return report


def _provenance(shard: Shard) -> dict[str, Any]:
    out: dict[str, Any] = {"folder": shard.name, "report": str(shard.report_path),
                           **{k: shard.report["run"][k] for k in ("started", "finished")},
                           "apps": shard.app_ids}
    if shard.number:
        out["shard"] = shard.number
    if shard.record is not None:
        out["evidence"] = {k: shard.record.get(k) for k in ("seq", "hash", "run_by",
                                                             "exit_status")}
    return out


def merge_sarif(shards: Sequence[Shard], report: Mapping[str, Any]) -> dict[str, Any]:
    """One SARIF run: every shard's rules (the same rule must say the same) and results, in
    the findings report's order, and each shard's invocation."""
    from pytest_nocode.reporting.sarif import SARIF_SCHEMA, TOOL_NAME

    rules: dict[str, tuple[dict[str, Any], Shard]] = {}
    results: list[dict[str, Any]] = []
    invocations: list[dict[str, Any]] = []
    app_props: dict[str, Any] = {}
    for shard in shards:
        assert shard.sarif is not None and shard.sarif_path is not None
        run = shard.sarif["runs"][0]
        for rule in run["tool"]["driver"]["rules"]:
            seen = rules.setdefault(rule["id"], (rule, shard))
            if seen[0] != rule:
                raise InputError(f"rule {rule['id']} differs between the SARIF logs of shards "
                                 f"{seen[1].name} and {shard.name}")
        if len(run["results"]) != len(shard.report["findings"]):
            raise InputError(f"{shard.sarif_path}: $.runs[0].results has "
                             f"{len(run['results'])} results, {shard.report_path} "
                             f"{len(shard.report['findings'])} findings: not the same run")
        results.extend(run["results"])
        invocations.extend({**inv, "properties": {**inv.get("properties", {}),
                                                  "shard": shard.name}}
                           for inv in run["invocations"])
        app_props.update({a.get("id"): a for a in run["properties"]["apps"]})
    ordered = sorted(rules)
    index = {rule_id: i for i, rule_id in enumerate(ordered)}

    def result_key(result: Mapping[str, Any]) -> tuple[Any, ...]:
        props = result["properties"]
        resource = {k: str(props["resource"].get(k, "")) for k in ("path", "id")}
        return finding_sort_key({"severity": props.get("severity", ""),
                                 "app": props.get("app", ""), "rule": result["ruleId"],
                                 "resource": resource})

    first = shards[0].sarif
    assert first is not None
    driver = {**first["runs"][0]["tool"]["driver"], "rules": [rules[r][0] for r in ordered]}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [{
        "tool": {"driver": driver},
        "automationDetails": {"id": f"{TOOL_NAME}/{report['run']['started']}"},
        "invocations": invocations,
        "results": [{**r, "ruleIndex": index[r["ruleId"]]} for r in sorted(results,
                                                                             key=result_key)],
        "properties": {"apps": [app_props[a["id"]] for a in report["apps"]
                                if a["id"] in app_props],
                       "policy_sha256": report["run"]["policy_sha256"],
                       "shards": [s.name for s in shards]},
    }]}


def merge_allure(shards: Sequence[Shard], report: Mapping[str, Any], out: Path) -> None:
    """Every shard's result, container and attachment files in ``out``, and the run files
    (environment with the merged risks, executor, categories) written for the merged run."""
    from pytest_nocode.reporting.allure import (
        RUN_FILES,
        environment_of,
        executor,
        write_run_files_to,
    )

    out.mkdir(parents=True, exist_ok=True)
    origin: dict[str, Shard] = {}
    for shard in shards:
        assert shard.allure_dir is not None
        for path in sorted(shard.allure_dir.iterdir()):
            if path.name in RUN_FILES or not path.is_file():
                continue
            if path.name in origin:
                raise InputError(f"Allure file {path.name} is in shards {origin[path.name].name}"
                                 f" and {shard.name}: the same results downloaded twice?")
            origin[path.name] = shard
            shutil.copyfile(path, out / path.name)
    run = report["run"]
    extra = {f"shard.{i}": (f"{s.get('shard') or s['folder']}: {s['started']} to "
                            f"{s['finished']}, apps {', '.join(s['apps'])}")
             for i, s in enumerate(run["shards"], start=1)}
    if report.get("fail_on"):
        extra["fail_on"] = str(report["fail_on"])
    if report.get("waivers_file"):
        extra["waivers.sha256"] = str(report["waivers_file"].get("sha256"))
    env = environment_of(datetime.fromisoformat(run["started"]),
                         datetime.fromisoformat(run["finished"]), run.get("policy", ""),
                         run["policy_sha256"], report["apps"],
                         {a["id"]: a["risk"] for a in report["apps"]}, report["top_risks"],
                         extra)
    write_run_files_to(out, env, executor())


def merged_record(shards: Sequence[Shard], report: Mapping[str, Any]) -> dict[str, Any]:
    """The evidence log fields of the merged run: digest and counts over the merged findings,
    and each shard's own record (seq, hash) so the chain of every job stays traceable."""
    from pytest_nocode.reporting.allure import who_ran
    from pytest_nocode.reporting.evidence_log import counts, findings_digest

    records = [s.record for s in shards if s.record is not None]
    checks = {k: sum(int(r["counts"]["checks"].get(k, 0)) for r in records)
              for k in ("collected", "failed")}
    return {
        "tool": report["tool"],
        "started": report["run"]["started"],
        "finished": report["run"]["finished"],
        "apps": [a for r in records for a in r["apps"]],
        "policy_sha256": report["run"]["policy_sha256"],
        "waivers_sha256": records[0].get("waivers_sha256"),
        "counts": {**counts(report["findings"]), "checks": checks},
        "exit_status": max(int(r.get("exit_status", 0)) for r in records),
        "findings_digest": findings_digest(report["findings"]),
        "run_by": who_ran(),
        "shards": [{"folder": s.name, "log": str(s.log_path), "shard": s.number or None,
                    **{k: (s.record or {}).get(k) for k in ("seq", "hash", "run_by",
                                                             "exit_status")}}
                   for s in shards],
    }


def merge(out: Path, folders: Iterable[Path], evidence_log: Path | None = None) -> Merged:
    """Read, check and merge the shards into ``out``; nothing is written if a check fails."""
    from pytest_nocode.reporting.evidence_log import append_record, evidence_key

    shards = [read_shard(folder) for folder in folders]
    if not shards:
        raise InputError("no shard to merge: name each shard's folder")
    check_one_run(shards)
    report = merge_reports(shards)
    sarif = merge_sarif(shards, report) if shards[0].sarif is not None else None
    allure_out = out / ALLURE_NAME
    if shards[0].allure_dir is not None and allure_out.exists() and any(allure_out.iterdir()):
        raise InputError(f"{allure_out}: not empty: merged Allure results go into an empty "
                         "folder, so no earlier run's results mix in")
    written = [out / REPORT_NAME]
    write_json(out / REPORT_NAME, report)
    if sarif is not None:
        write_json(out / SARIF_NAME, sarif)
        written.append(out / SARIF_NAME)
    if shards[0].allure_dir is not None:
        merge_allure(shards, report, allure_out)
        written.append(allure_out)
    if shards[0].record is not None:
        log = evidence_log or out / EVIDENCE_NAME
        try:
            append_record(log, merged_record(shards, report), evidence_key())
        except (OSError, ValueError) as exc:
            raise InputError(f"{log}: evidence log not written: {exc}") from None
        written.append(log)
    failed = any(f["status"] == "fail" for f in report["findings"]) \
        or any(a.get("error") for a in report["apps"])
    return Merged(written, report, failed)
