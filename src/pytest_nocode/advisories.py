"""Known advisories for the platform versions and node modules an app runs.

Where the data comes from (``--nocode-advisories``, ini ``nocode_advisories``):

- **the shipped table** (default): ``advisories.yaml`` beside this module, facts written in
  our own words from the public advisories (id, aliases, package, affected npm ranges, fixed
  versions, summary, severity, and the feature that makes it reachable);
- **a file** the user points at, in the same schema, validated with ``file:line`` errors;
- **online**: npm's bulk advisory endpoint (``POST /-/npm/v1/security/advisories/bulk``, the
  one ``npm audit`` uses) on the registry npm is configured with, asked once per run for every
  package the apps run; what the shipped table knows of the same advisory (fixed versions, the
  feature) is kept;
- **off**: the rule is not applicable.

A lookup that fails makes the rule error with the reason, never pass. Ranges are npm semver
ranges, matched with ``node-semver`` (prereleases inside a range count as affected).

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pytest_nocode.errors import read_input_file
from pytest_nocode.findings import Severity
from pytest_nocode.model import App, Resource, Step

MODES = ("offline", "online", "off")  # anything else is a path
BULK_PATH = "/-/npm/v1/security/advisories/bulk"
ONLINE_SOURCE = "npm bulk advisory endpoint"
PENDING = "the online lookup has not run (it runs once the apps are loaded)"
SHIPPED_SOURCE = "built-in advisory table"
# The package whose version is the platform's own, and where adapters read module versions.
PLATFORM_PACKAGES = {"n8n": "n8n", "nodered": "node-red"}
MODULE_SOURCES = {"n8n": "GET /rest/settings versionCli or /rest/sentry.js release (sent "
                         "without credentials)",
                  "nodered": "GET /nodes"}
_GHSA = re.compile(r"GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}", re.I)
# npm's severity words → ours
_NPM_SEVERITY = {"critical": "critical", "high": "high", "moderate": "medium", "medium": "medium",
                 "low": "low", "info": "info"}


def _semver() -> Any:
    """``node-semver``, imported when a version is first compared (its grammar's regexes
    take a noticeable part of start-up, and most runs compare none)."""
    import nodesemver

    return nodesemver


def _is_range(value: object) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    try:
        _semver().make_range(value, loose=False)
    except ValueError:
        return False
    return True


def _is_version(value: object) -> bool:
    return isinstance(value, str) and _semver().valid(value, loose=False) is not None


_TEXT = {"type": "string", "minLength": 1}
TABLE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object", "additionalProperties": False, "required": ["version", "advisories"],
    "properties": {
        "version": {"const": 1},
        "updated": {"type": "string"},
        "advisories": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "package", "affected", "summary", "severity"],
            "properties": {
                "id": _TEXT,
                "aliases": {"type": "array", "items": _TEXT},
                "name": _TEXT,
                "package": _TEXT,
                "affected": {"type": "array", "minItems": 1,
                             "items": {"type": "string", "format": "npm-range"}},
                "fixed": {"type": "array", "items": {"type": "string", "format": "npm-version"}},
                "summary": _TEXT,
                "severity": {"enum": [s.label for s in Severity]},
                "url": _TEXT,
                "feature": {
                    "type": "object", "additionalProperties": False,
                    "required": ["description", "step_types", "severity"],
                    "properties": {
                        "description": _TEXT,
                        "step_types": {"type": "array", "minItems": 1, "items": _TEXT},
                        "params": {"type": "object", "additionalProperties": {
                            "type": "array", "items": {"type": ["string", "number", "boolean"]}}},
                        "active_only": {"type": "boolean"},
                        "severity": {"enum": [s.label for s in Severity]},
                    },
                },
            },
        }},
    },
}
TABLE_FORMATS: Mapping[str, Callable[[object], bool]] = {"npm-range": _is_range,
                                                          "npm-version": _is_version}


# -- the data --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Feature:
    """What makes an advisory reachable in this app: steps of these types (with these params)."""

    description: str
    step_types: tuple[str, ...]
    params: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    active_only: bool = False
    severity: Severity = Severity.CRITICAL  # the advisory's severity when the feature is used

    def steps_in(self, app: App) -> list[Step]:
        """The enabled steps of ``app`` that use the feature (in active workflows if asked)."""
        out = []
        for step in app.steps_of_type(*self.step_types):
            if any(step.params.get(k) not in values for k, values in self.params.items()):
                continue
            if self.active_only:
                wf = app.workflow(step.workflow_id)
                if wf is None or wf.active is not True:
                    continue
            out.append(step)
        return out


@dataclass(frozen=True)
class KnownAdvisory:
    """One advisory against one npm package."""

    id: str
    package: str
    affected: tuple[str, ...]  # npm ranges; a version in any of them is affected
    summary: str
    severity: Severity
    aliases: tuple[str, ...] = ()
    name: str = ""
    fixed: tuple[str, ...] = ()
    url: str = ""
    feature: Feature | None = None
    source: str = ""  # file:line, or the online endpoint

    def affects(self, version: str) -> bool:
        """Whether ``version`` is in an affected range; ValueError if it is not a version."""
        semver = _semver()
        parsed = semver.make_semver(version, loose=True)
        for spec in self.affected:
            for comparators in semver.make_range(spec, loose=False).set:
                if all(c.test(parsed) for c in comparators):
                    return True
        return False

    @property
    def ids(self) -> tuple[str, ...]:
        return (self.id, *self.aliases)

    def to_json(self) -> dict[str, Any]:
        feature = None
        if self.feature is not None:
            f = self.feature
            feature = {"description": f.description, "step_types": list(f.step_types),
                       "params": {k: list(v) for k, v in f.params.items()},
                       "active_only": f.active_only, "severity": f.severity.label}
        return {"id": self.id, "package": self.package, "affected": list(self.affected),
                "summary": self.summary, "severity": self.severity.label,
                "aliases": list(self.aliases), "name": self.name, "fixed": list(self.fixed),
                "url": self.url, "feature": feature, "source": self.source}

    @classmethod
    def from_json(cls, item: Mapping[str, Any], source: str = "") -> KnownAdvisory:
        feature = None
        if item.get("feature"):
            f = item["feature"]
            feature = Feature(f["description"], tuple(f["step_types"]),
                              {k: tuple(v) for k, v in (f.get("params") or {}).items()},
                              bool(f.get("active_only")), Severity.parse(f["severity"]))
        return cls(item["id"], item["package"], tuple(item["affected"]), item["summary"].strip(),
                   Severity.parse(item["severity"]), tuple(item.get("aliases") or ()),
                   item.get("name", ""), tuple(item.get("fixed") or ()), item.get("url", ""),
                   feature, item.get("source") or source)


@dataclass(frozen=True)
class AdvisoryData:
    """The advisories this run checks against, where they came from, or why there are none."""

    mode: str  # offline | file | online | off
    source: str  # the table's name, the file as given, or the endpoint
    advisories: tuple[KnownAdvisory, ...] = ()
    error: str = ""  # set when the data could not be had: the rule errors with it

    def for_package(self, package: str) -> list[KnownAdvisory]:
        return [a for a in self.advisories if a.package == package]

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "source": self.source, "error": self.error,
                "advisories": [a.to_json() for a in self.advisories]}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> AdvisoryData:
        return cls(obj["mode"], obj["source"],
                   tuple(KnownAdvisory.from_json(a) for a in obj["advisories"]), obj["error"])


# -- tables ----------------------------------------------------------------------------------
def load_table_text(text: str, source: str, mode: str = "file", *,
                    validated: bool = True) -> AdvisoryData:
    """Parse and validate an advisory table; errors name the file, line and expectation.

    ``validated=False`` is for the built-in table, which the test suite validates.
    """
    from pytest_nocode.policy import Schema, _node_at, read_yaml, validate

    node, data = read_yaml(text, source)
    if validated:
        validate(Schema(TABLE_SCHEMA, TABLE_FORMATS), data, node, source, "advisory table")
    out = []
    for i, item in enumerate(data["advisories"]):
        at = _node_at(node, ["advisories", i]) if node is not None else None
        line = at.start_mark.line + 1 if at is not None else 1
        out.append(KnownAdvisory.from_json(item, f"{source}:{line}"))
    return AdvisoryData(mode, source, tuple(out))


def shipped_table() -> AdvisoryData:
    text = resources.files("pytest_nocode").joinpath("advisories.yaml").read_text(
        encoding="utf-8")
    return load_table_text(text, SHIPPED_SOURCE, "offline", validated=False)


def configured(word: str, base: Path) -> AdvisoryData:
    """What ``--nocode-advisories`` names, before any online lookup (which needs the apps)."""
    word = word.strip() or "offline"
    if word == "off":
        return AdvisoryData("off", "--nocode-advisories=off")
    if word == "offline":
        return shipped_table()
    if word == "online":
        return AdvisoryData("online", ONLINE_SOURCE, error=PENDING)
    path = Path(word) if Path(word).is_absolute() else base / word
    return load_table_text(read_input_file(path, f"--nocode-advisories {word}"), word)


# -- what an app runs ------------------------------------------------------------------------
@dataclass(frozen=True)
class InstalledPackage:
    name: str
    version: str
    source: str  # where the version was read
    resource: Resource


def installed_packages(app: App) -> list[InstalledPackage]:
    """The platform and the node modules ``app`` runs, each with its version, once each."""
    out: dict[str, InstalledPackage] = {}
    source = MODULE_SOURCES.get(app.platform, "installed modules")
    for module in app.modules:
        if module.version:
            out.setdefault(module.name, InstalledPackage(module.name, module.version, source,
                                                         module.resource))
    platform = PLATFORM_PACKAGES.get(app.platform)
    setting = app.setting("version")
    if platform and platform not in out and setting is not None and isinstance(setting.value,
                                                                                 str):
        out[platform] = InstalledPackage(
            platform, setting.value, setting.source,
            Resource("module", platform, f"{platform}@{setting.value}", f"modules/{platform}"))
    return sorted(out.values(), key=lambda p: p.name)


# -- online ----------------------------------------------------------------------------------
Post = Callable[[str, Mapping[str, list[str]]], Any]


def npm_registry(environ: Mapping[str, str] | None = None) -> str:
    """The registry npm itself would ask: ``npm_config_registry``, else ``npm config``."""
    env = os.environ if environ is None else environ
    for name in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        if env.get(name):
            return env[name].rstrip("/")
    npm = shutil.which("npm")
    if npm is None:
        raise LookupError("no npm registry configured: set npm_config_registry (npm is not "
                          "on PATH to ask)")
    try:
        done = subprocess.run([npm, "config", "get", "registry"], capture_output=True,
                              text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise LookupError(f"npm config get registry failed: {exc}") from None
    registry = done.stdout.strip().rstrip("/")
    if not registry.startswith(("http://", "https://")):
        raise LookupError(f"npm config get registry gave {registry!r}, not a URL")
    return registry


def _post_with_requests(url: str, payload: Mapping[str, list[str]]) -> Any:
    import requests  # only an online lookup needs it

    response = requests.post(url, json=payload, timeout=(10, 60),
                             headers={"Accept": "application/json",
                                      "User-Agent": "pytest-nocode"})
    if response.status_code != 200:
        raise LookupError(f"POST {BULK_PATH} answered {response.status_code}")
    try:
        return response.json()
    except ValueError:
        raise LookupError(f"POST {BULK_PATH} did not answer JSON") from None


def lookup_online(packages: Mapping[str, Iterable[str]], known: AdvisoryData,
                  post: Post | None = None, registry: str | None = None) -> AdvisoryData:
    """Ask npm's bulk advisory endpoint about ``packages`` (name → versions), once.

    The answer is ``{name: [{id, url, title, severity, vulnerable_versions, …}]}``. What
    ``known`` (the shipped table) says about the same advisory fills in what the endpoint
    does not carry: fixed versions, aliases and the feature that makes it reachable.
    """
    payload = {name: sorted(set(versions)) for name, versions in sorted(packages.items())}
    try:
        base = registry or npm_registry()
        url = f"{base}{BULK_PATH}"
        answer = (post or _post_with_requests)(url, payload)
        advisories = tuple(_from_bulk(answer, known))
    except LookupError as exc:
        return AdvisoryData("online", ONLINE_SOURCE, error=f"online advisory lookup failed: "
                                                           f"{exc}")
    except (OSError, ValueError) as exc:  # requests' errors are OSErrors; no pass without data
        return AdvisoryData("online", ONLINE_SOURCE, error=f"online advisory lookup failed: "
                                                           f"{type(exc).__name__}: {exc}")
    return AdvisoryData("online", f"{ONLINE_SOURCE} at {base}", advisories)


def _from_bulk(answer: Any, known: AdvisoryData) -> Iterable[KnownAdvisory]:
    if not isinstance(answer, dict):
        raise LookupError("unexpected answer: expected an object keyed by package name")
    by_id = {i.upper(): a for a in known.advisories for i in a.ids}
    for package, items in sorted(answer.items()):
        if not isinstance(items, list):
            raise LookupError(f"unexpected answer: $[{json.dumps(package)}] is not a list")
        for n, item in enumerate(items):
            where = f"$[{json.dumps(package)}][{n}]"
            if not isinstance(item, dict) or not _is_range(item.get("vulnerable_versions")):
                raise LookupError(f"unexpected answer at {where}: expected an advisory with "
                                  "vulnerable_versions")
            url = str(item.get("url") or "")
            ghsa = _GHSA.search(url)
            ident = f"GHSA-{ghsa.group(0)[5:].lower()}" if ghsa else f"npm-{item.get('id')}"
            ours = by_id.get(ident.upper())
            severity = _NPM_SEVERITY.get(str(item.get("severity", "")).lower(), "high")
            yield KnownAdvisory(
                id=ident, package=package, affected=(item["vulnerable_versions"],),
                summary=str(item.get("title") or (ours.summary if ours else ident)),
                severity=Severity.parse(severity),
                aliases=ours.aliases if ours else (),
                name=ours.name if ours else "",
                fixed=ours.fixed if ours else (),
                url=url, feature=ours.feature if ours else None, source=ONLINE_SOURCE)


def packages_of(apps: Iterable[App]) -> dict[str, set[str]]:
    """name → versions over every app: one online request covers the whole run."""
    out: dict[str, set[str]] = {}
    for app in apps:
        for pkg in installed_packages(app):
            out.setdefault(pkg.name, set()).add(pkg.version)
    return out


def checked_version(version: str) -> str | None:
    """``version`` if it parses as a version, else None."""
    try:
        _semver().make_semver(version, loose=True)
    except (ValueError, TypeError):
        return None
    return version

