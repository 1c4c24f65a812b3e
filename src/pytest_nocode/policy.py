"""The policy: what is allowed (connectors, hosts), severity overrides, owners, waivers.

Loaded from YAML and validated with a JSON Schema before any check runs; every error names the
file, the line and the shape that was expected.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import fnmatch
import hashlib
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from pytest_nocode.errors import InputError, read_input_file
from pytest_nocode.findings import NOT_APPLICABLE, Rule, Severity, Waiver
from pytest_nocode.model import is_loopback_host

if TYPE_CHECKING:
    import jsonschema

DEFAULT_POLICY_SOURCE = "built-in default policy"
SEVERITY_WORDS = ["critical", "high", "medium", "low", "info"]
# Key risk indicators the ``kri`` section may bound (see pytest_nocode.checks.test_drift).
KRI_NAMES = ("permission_changes", "new_external_destinations",
             "new_unauthenticated_entry_points", "secrets_count")
# Trust zones, nearest first: where a destination host sits seen from the app.
ZONES = ("loopback", "host", "private", "internet")
# How bad cleartext is inside each zone unless the policy says otherwise (None: the rule's
# own severity; "off": not reported). Inside the own private network credentials or sensitive
# data crossing raise it to the rule's severity. Traffic between containers of one host stays
# on its virtual bridge: off unless a policy sets a severity for the host zone.
CLEARTEXT_SEVERITY = {"loopback": "off", "host": "off", "private": "low", "internet": None}
# Same host or compose network: Docker's default address pools for bridge networks
# (172.17.0.0/16 for docker0, then 172.18-31.0.0/16 for compose networks) and its host alias.
HOST_NETWORKS = tuple(ipaddress.ip_network(f"172.{n}.0.0/16") for n in range(17, 32))
HOST_NAMES = ("host.docker.internal", "gateway.docker.internal", "host.containers.internal")
# Kubernetes cluster DNS: a service (``mosquitto.mosquitto.svc.cluster.local``) or pod name
# resolves inside the cluster's own network, as a compose service name does in compose
HOST_SUFFIXES = (".svc.cluster.local", ".pod.cluster.local", ".svc")
PRIVATE_SUFFIXES = (".local", ".lan", ".internal", ".home.arpa", ".home", ".localdomain",
                    ".intranet", ".corp", ".private", ".ts.net")  # ts.net: a tailnet's names
# 100.64.0.0/10 is carrier-grade NAT (Tailscale and other overlays hand it out)
PRIVATE_NETWORKS = (ipaddress.ip_network("100.64.0.0/10"),)
# Mesh VPNs whose every packet travels inside a WireGuard tunnel between the two machines:
# Tailscale (and Headscale, NetBird) hand their nodes 100.64.0.0/10 addresses (Tailscale's
# IPv6 ones in fd7a:115c:a1e0::/48) and MagicDNS names under ts.net. An http:// URL to such
# a host is not cleartext on any wire; seen from the app it is still the private zone.
OVERLAY_NETWORKS = (ipaddress.ip_network("100.64.0.0/10"),
                    ipaddress.ip_network("fd7a:115c:a1e0::/48"))
OVERLAY_SUFFIXES = (".ts.net",)
_WEIGHT = {"type": "number", "minimum": 0}
_GLOB = {"type": "string", "minLength": 1, "format": "glob"}
_GLOBS = {"type": "array", "items": _GLOB}

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1},
        "name": {"type": "string"},
        "connectors": {
            "type": "object", "additionalProperties": False,
            "description": "node types / connector types, or the packages that provide them",
            "properties": {"allow": _GLOBS, "block": _GLOBS},
        },
        "hosts": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "allow": _GLOBS,  # outbound destinations allowed
                "block": _GLOBS,
                "internal": _GLOBS,  # hosts inside the organisation's trust boundary
            },
        },
        "trust_zones": {
            "type": "object", "additionalProperties": False,
            "description": "hosts per zone (globs or CIDR ranges, checked before the "
                           "defaults) and the severity of cleartext inside each zone",
            "properties": {zone: {
                "type": "object", "additionalProperties": False,
                "properties": {"hosts": _GLOBS,
                               "cleartext_severity": {"enum": [*SEVERITY_WORDS, "off"]},
                               **({"compose": {"type": "boolean"}} if zone == "host"
                                  else {})},
            } for zone in ZONES},
        },
        "rules": {
            "type": "object",
            "propertyNames": {"pattern": r"^[A-Za-z][A-Za-z0-9_.-]{1,63}$"},
            "additionalProperties": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "severity": {"enum": SEVERITY_WORDS},
                    "enabled": {"type": "boolean"},
                },
            },
        },
        "settings": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "function_timeout_max_seconds": {"type": "number", "minimum": 0},
                "require_execution_logging": {"type": "boolean"},
                "report_inactive_entry_points": {"type": "boolean"},
                "report_collecting_forms": {"type": "boolean"},
                "report_status_probes": {"type": "boolean"},
                "report_local_callbacks": {"type": "boolean"},
                "report_local_insecure_parsers": {"type": "boolean"},
            },
        },
        "owners": {
            "type": "array",
            "items": {
                "type": "object", "additionalProperties": False, "required": ["owner"],
                "properties": {
                    "owner": {"type": "string", "minLength": 1},
                    "app": _GLOB, "workflow": _GLOB, "tag": _GLOB,
                },
            },
        },
        "waivers": {
            "type": "array",
            "items": {
                "type": "object", "additionalProperties": False,
                "required": ["rule", "justification", "owner", "expires"],
                "properties": {
                    "rule": _GLOB,
                    "app": _GLOB,
                    "resources": _GLOBS,
                    "justification": {"type": "string", "minLength": 10},
                    "owner": {"type": "string", "minLength": 1},
                    "expires": {"type": "string", "format": "date"},
                    "ticket": {"type": "string"},
                },
            },
        },
        "kri": {
            "type": "object", "additionalProperties": False,
            "description": "thresholds: a key risk indicator above its number fails the run",
            "properties": {name: {"type": "integer", "minimum": 0} for name in KRI_NAMES},
        },
        "risk": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "weights": {
                    "type": "object", "additionalProperties": False,
                    "properties": {k: _WEIGHT for k in ("severity", "unauthenticated_entry",
                                                        "leaves_boundary", "sensitive_data")},
                },
                "severity_scale": {
                    "type": "object", "additionalProperties": False,
                    "properties": {k: {"type": "number", "minimum": 0, "maximum": 1}
                                   for k in SEVERITY_WORDS},
                },
                "sensitive_keywords": {"type": "array",
                                       "items": {"type": "string", "minLength": 1}},
            },
        },
    },
}


def _check_glob(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if value != value.strip() or any(c in value for c in "\t\r\n"):
        return False  # inner spaces are fine: workflow names have them
    depth = 0
    for ch in value:
        if ch == "[":
            depth += 1
        elif ch == "]" and depth:
            depth -= 1
    if depth:
        return False
    try:
        re.compile(fnmatch.translate(value))
    except re.error:
        return False
    return True


def _check_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


class Schema:
    """A JSON Schema with its own formats, compiled on first use: jsonschema costs a third of a
    second to import, and only a file the user gives (policy, waivers, advisory table) needs
    it; the built-in files are validated by the test suite instead."""

    def __init__(self, schema: Mapping[str, Any],
                 formats: Mapping[str, Callable[[object], bool]]) -> None:
        self.schema = schema
        self.formats = formats
        self._validator: jsonschema.Validator | None = None

    def validator(self) -> jsonschema.Validator:
        if self._validator is None:
            import jsonschema

            checker = jsonschema.FormatChecker(formats=())
            for name, func in self.formats.items():
                checker.checks(name)(func)
            self._validator = jsonschema.Draft202012Validator(self.schema,
                                                              format_checker=checker)
        return self._validator


POLICY_FORMATS: Mapping[str, Callable[[object], bool]] = {"glob": _check_glob,
                                                           "date": _check_date}
POLICY = Schema(POLICY_SCHEMA, POLICY_FORMATS)

_EXPECTED_FORMAT = {
    "glob": "a glob such as 'api.*.example.com' (no surrounding spaces, brackets closed)",
    "date": "an ISO date YYYY-MM-DD",
}


def _describe(error: jsonschema.ValidationError) -> str:
    """A short 'expected …' for one schema error, in a reviewer's words."""
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance,
                                                                          dict) else []
        return (f"unknown key {', '.join(map(repr, extra))}; expected one of "
                f"{', '.join(allowed)}")
    if error.validator == "format":
        return f"expected {_EXPECTED_FORMAT.get(error.validator_value, error.validator_value)}, " \
               f"got {error.instance!r}"
    if error.validator == "enum":
        return f"expected one of {', '.join(map(str, error.validator_value))}, " \
               f"got {error.instance!r}"
    if error.validator == "type":
        return f"expected {error.validator_value}, got {type(error.instance).__name__}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is required")
    if error.validator == "const":
        return f"expected {error.validator_value!r}, got {error.instance!r}"
    return error.message


def _node_at(node: yaml.Node, path: Sequence[Any]) -> yaml.Node:
    for part in path:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    node = value
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def _json_path(path: Iterable[Any]) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True)
class Owner:
    owner: str
    app: str = "*"
    workflow: str = "*"
    tag: str = "*"


@dataclass(frozen=True)
class Policy:
    """The validated policy and the questions checks ask of it."""

    source: str  # file path or "built-in default"
    sha256: str
    data: Mapping[str, Any] = field(repr=False)
    waivers: tuple[Waiver, ...] = ()
    owners: tuple[Owner, ...] = ()
    _zones: dict[str, str] = field(default_factory=dict, init=False, repr=False,
                                   compare=False)
    _connectors: dict[tuple[str, str], bool] = field(default_factory=dict, init=False,
                                                     repr=False, compare=False)

    # -- allowlists -------------------------------------------------------------------------
    def _globs(self, section: str, key: str) -> list[str] | None:
        value = self.data.get(section, {}).get(key)
        return None if value is None else list(value)

    @property
    def has_host_allowlist(self) -> bool:
        return self._globs("hosts", "allow") is not None

    def host_allowed(self, host: str) -> bool:
        host = host.lower()
        if _matches(host, self._globs("hosts", "block") or []):
            return False
        allow = self._globs("hosts", "allow")
        return True if allow is None else _matches(host, allow) or self.host_internal(host)

    def host_internal(self, host: str) -> bool:
        return _matches(host.lower(), self._globs("hosts", "internal") or [])

    # -- trust zones ------------------------------------------------------------------------
    def zone_of(self, host: str, app: AppHosts | None = None) -> str:
        """The trust zone of a destination host: ``loopback``, ``host`` (same host, compose
        network or Kubernetes cluster), ``private``, ``internet``, or ``unknown`` when the
        host is computed at run time. The policy's ``trust_zones.<zone>.hosts`` come first,
        then, for an ``app`` given, the hosts of the compose stack that runs it
        (``app.compose_hosts``: its services, static addresses and subnets) as the host zone
        unless ``trust_zones.host.compose`` is false, then ``hosts.internal`` (private), then
        the defaults. Answered once per host (and app)."""
        host = host.strip().strip("[]").lower().rstrip(".")
        compose = app.compose_hosts if app is not None else ()
        if compose and self.compose_zone and host and not self._policy_zone(host) \
                and not is_loopback_host(host) and _host_matches(host, compose):
            return "host"
        zone = self._zones.get(host)
        if zone is None:
            zone = self._zones[host] = self._zone(host)
        return zone

    @property
    def compose_zone(self) -> bool:
        """Are the hosts of an app's own compose stack (read beside a file export) the host
        zone? ``trust_zones.host.compose``, true unless the policy says false."""
        return ((self.data.get("trust_zones") or {}).get("host") or {}).get(
            "compose", True) is not False

    def _policy_zone(self, host: str) -> str | None:
        section = self.data.get("trust_zones") or {}
        for zone in ZONES:  # a placeholder too: the team knows what its ${MQTT_HOST} is
            if host and _host_matches(host, (section.get(zone) or {}).get("hosts") or ()):
                return zone
        return None

    def _zone(self, host: str) -> str:
        zone = self._policy_zone(host)
        if zone is not None:
            return zone
        if not host or any(c in host for c in "{}$=` ") or host.startswith("msg."):
            return "unknown"
        if self.host_internal(host):
            return "private"
        return default_zone(host)

    def cleartext_severity(self, zone: str, default: Severity) -> Severity | None:
        """Severity of cleartext inside ``zone`` (the policy's, else the defaults); None when
        cleartext there is not reported."""
        word = ((self.data.get("trust_zones") or {}).get(zone) or {}).get(
            "cleartext_severity") or CLEARTEXT_SEVERITY.get(zone)
        if word == "off":
            return None
        return Severity.parse(word) if word else default

    def encrypted_overlay(self, host: str) -> bool:
        """Is ``host`` a node of an encrypting mesh VPN (:data:`OVERLAY_NETWORKS`,
        :data:`OVERLAY_SUFFIXES`) that the policy's ``trust_zones`` do not place otherwise?
        Plain HTTP or MQTT to it crosses no wire unencrypted."""
        host = host.strip().strip("[]").lower().rstrip(".")
        return is_overlay_host(host) and self._policy_zone(host) is None

    def cleartext_severity_is_set(self, zone: str) -> bool:
        """Does the policy itself set the severity of cleartext inside ``zone`` (not the
        defaults)? An explicit "off" silences even secrets crossing there."""
        return bool(((self.data.get("trust_zones") or {}).get(zone) or {}).get(
            "cleartext_severity"))

    @property
    def has_connector_allowlist(self) -> bool:
        return self._globs("connectors", "allow") is not None

    def connector_blocked(self, type_: str, package: str) -> bool:
        return _matches_any((type_, package, f"{package}/{type_}"),
                            self._globs("connectors", "block") or [])

    def connector_allowed(self, type_: str, package: str) -> bool:
        """Answered once per node type and package: every step of every app asks, and the
        allowlist is a few dozen globs."""
        known = self._connectors.get((type_, package))
        if known is None:
            known = self._connectors[(type_, package)] = self._connector_allowed(type_, package)
        return known

    def _connector_allowed(self, type_: str, package: str) -> bool:
        if self.connector_blocked(type_, package):
            return False
        allow = self._globs("connectors", "allow")
        return True if allow is None else _matches_any((type_, package, f"{package}/{type_}"),
                                                       allow)

    # -- what checks need of it ----------------------------------------------------------------
    def lacks(self, need: str) -> str | None:
        """Why this policy does not give ``need`` (a section a check needs, see
        ``findings.RUN_NEEDS``), or None when it does or ``need`` is not the policy's."""
        if need == "hosts.allow" and not self.has_host_allowlist:
            return f"policy {self.source} sets no hosts.allow"
        if need == "owners" and not self.owners:
            return f"policy {self.source} names no owners"
        if need == "kri" and not self.data.get("kri"):
            return "the policy sets no key risk indicators (kri section)"
        return None

    # -- rules --------------------------------------------------------------------------------
    def rule_enabled(self, rule_id: str) -> bool:
        return bool(self.data.get("rules", {}).get(rule_id, {}).get("enabled", True))

    def severity_for(self, rule_id: str, default: Severity) -> Severity:
        word = self.data.get("rules", {}).get(rule_id, {}).get("severity")
        return Severity.parse(word) if word else default

    def setting(self, key: str, default: Any = None) -> Any:
        return self.data.get("settings", {}).get(key, default)

    def excerpt(self, *sections: str) -> dict[str, Any]:
        """The parts of the policy a result depended on, for evidence."""
        return {s: self.data[s] for s in sections if s in self.data}

    # -- owners and waivers -------------------------------------------------------------------
    def owner_for(self, app_id: str, workflow: str = "", tags: Iterable[str] = ()) -> str:
        tags = list(tags)
        for rule in self.owners:
            if not fnmatch.fnmatchcase(app_id, rule.app):
                continue
            if rule.workflow != "*" and not fnmatch.fnmatchcase(workflow, rule.workflow):
                continue
            if rule.tag != "*" and not any(fnmatch.fnmatchcase(t, rule.tag) for t in tags):
                continue
            return rule.owner
        return ""

    def waiver_for(self, rule_id: str, app_id: str, resource_ids: Iterable[str]
                   ) -> Waiver | None:
        """The first waiver that covers this finding (the policy's own come first)."""
        ids = list(resource_ids)
        return next((w for w in self.waivers if waiver_matches(w, rule_id, app_id, ids)), None)


def waiver_matches(waiver: Waiver, rule_id: str, app_id: str, resource_ids: Iterable[str]
                   ) -> bool:
    """Does ``waiver`` cover this rule, app and any of the resource's id or path?"""
    if not fnmatch.fnmatchcase(rule_id, waiver.rule):
        return False
    if not any(fnmatch.fnmatchcase(app_id, a) for a in waiver.apps):
        return False
    return any(fnmatch.fnmatchcase(r, g) for r in resource_ids for g in waiver.resources)


def is_overlay_host(host: str) -> bool:
    """Is ``host`` (lowercase) a mesh VPN node's address or MagicDNS name?"""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith(OVERLAY_SUFFIXES)
    return any(address in net for net in OVERLAY_NETWORKS if net.version == address.version)


@lru_cache(maxsize=1 << 16)
def default_zone(host: str) -> str:
    """The zone of a host name or address without any policy (see the constants above).

    Answered once per host in a process: the data flow, the adapters and the checks ask it of
    the same few hosts over and over (on 2,000 generated workflows 8,222 questions, 1,117
    hosts), and parsing a name as an IP address first fails with an exception."""
    if is_loopback_host(host):
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host in HOST_NAMES or "." not in host or host.endswith(HOST_SUFFIXES):
            return "host"  # a compose service name (qdrant, mosquitto, backend), a k8s one
        return "private" if host.endswith(PRIVATE_SUFFIXES) else "internet"
    if any(address in net for net in HOST_NETWORKS if net.version == address.version):
        return "host"
    if address.is_private or address.is_link_local or any(
            address in net for net in PRIVATE_NETWORKS if net.version == address.version):
        return "private"
    return "internet"


def _host_matches(host: str, entries: Iterable[str]) -> bool:
    """Globs match names; entries that are CIDR ranges match addresses inside them."""
    for entry in entries:
        if "/" in entry:
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
        elif fnmatch.fnmatchcase(host, entry.lower()):
            return True
    return False


def _matches(value: str, globs: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, g.lower()) for g in globs)


def _matches_any(values: Iterable[str], globs: Iterable[str]) -> bool:
    globs = list(globs)
    return any(fnmatch.fnmatchcase(v, g) for v in values for g in globs)


# libyaml's safe loader where PyYAML was built with it: the same data, nodes and start marks
# (the lines messages cite) as PyYAML's own parser (the constructor is PyYAML's in both),
# about twenty times faster: the built-in policy and advisory table are read in every run
_FAST_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """(node tree with line marks, data) of YAML text; bad YAML names file and line (as
    PyYAML's own parser words it: text libyaml refuses is read again by PyYAML's). The tree
    is composed apart from the data: building the data flattens merge keys in the tree."""
    try:
        try:
            return (yaml.compose(text, Loader=_FAST_LOADER),
                    yaml.load(text, Loader=_FAST_LOADER))  # a safe loader
        except yaml.YAMLError:
            if _FAST_LOADER is yaml.SafeLoader:
                raise
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{where}: invalid YAML: {problem}") from None
    return node, data


def dates_as_text(data: Any) -> None:
    """YAML reads an unquoted ``expires: 2026-03-31`` as a date; the schema wants its text."""
    for w in (data.get("waivers") or []) if isinstance(data, dict) else []:
        if isinstance(w, dict) and isinstance(w.get("expires"), date):
            w["expires"] = w["expires"].isoformat()


def validate(schema: Schema, data: Any, node: yaml.Node | None, source: str,
             what: str, node_prefix: Sequence[Any] = ()) -> None:
    """Raise one InputError listing each schema error as ``file:line: $.path: expected …``.

    ``node_prefix`` is the part of the data path that has no YAML node (a bare list that was
    wrapped as ``{"waivers": [...]}`` before validation).
    """
    errors = sorted(schema.validator().iter_errors(data),
                    key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    lines = []
    for error in errors[:10]:
        path = list(error.absolute_path)
        if node_prefix and path[:len(node_prefix)] == list(node_prefix):
            path = path[len(node_prefix):]
        at = _node_at(node, path) if node is not None else None
        if error.validator == "additionalProperties" and isinstance(at, yaml.MappingNode):
            allowed = error.schema.get("properties", {})
            at = next((k for k, _ in at.value if k.value not in allowed), at)
        line = at.start_mark.line + 1 if at is not None else 1
        lines.append(f"{source}:{line}: {_json_path(error.absolute_path)}: {_describe(error)}")
    raise InputError(f"invalid {what}:\n  " + "\n  ".join(lines))


def waivers_from(items: Sequence[Mapping[str, Any]], node: yaml.Node | None, source: str,
                 node_path: Sequence[Any]) -> tuple[Waiver, ...]:
    """Validated waiver items → Waivers, each remembering the ``file:line`` it came from."""
    out = []
    for i, w in enumerate(items):
        at = _node_at(node, [*node_path, i]) if node is not None else None
        line = at.start_mark.line + 1 if at is not None else 1
        out.append(Waiver(
            rule=w["rule"], apps=(w.get("app", "*"),), resources=tuple(w.get("resources", ["*"])),
            justification=w["justification"].strip(), owner=w["owner"], expires=w["expires"],
            ticket=w.get("ticket", ""), source=f"{source}:{line}"))
    return tuple(out)


def load_policy_text(text: str, source: str, *, validated: bool = True) -> Policy:
    """Parse and validate policy YAML; raise InputError naming file, line and expectation.

    ``validated=False`` is for the built-in default, which the test suite validates.
    """
    node, data = read_yaml(text, source)
    if data is None:
        data = {}
    dates_as_text(data)
    if validated:
        validate(POLICY, data, node, source, "policy")
    waivers = waivers_from(data.get("waivers") or [], node, source, ["waivers"])
    owners = tuple(Owner(o["owner"], o.get("app", "*"), o.get("workflow", "*"), o.get("tag", "*"))
                   for o in data.get("owners") or [])
    return Policy(source, hashlib.sha256(text.encode()).hexdigest(), data, waivers, owners)


def load_policy(path: Path | None, shown_as: str | None = None) -> Policy:
    """The user's policy file, or the built-in default when ``path`` is None.

    ``shown_as`` is how messages and reports name the file (as the user wrote it).
    """
    if path is None:
        text = resources.files("pytest_nocode").joinpath("default_policy.yaml").read_text(
            encoding="utf-8")
        return load_policy_text(text, DEFAULT_POLICY_SOURCE, validated=False)
    name = shown_as or str(path)
    return load_policy_text(read_input_file(path, f"--nocode-policy {name}"), name)


def waiver_expired(waiver: Waiver, today: date | None = None) -> bool:
    return date.fromisoformat(waiver.expires) < (today or date.today())


class AppHosts(Protocol):
    """What a zone lookup reads of an app: the hosts of its own compose stack."""

    @property
    def compose_hosts(self) -> tuple[str, ...]: ...


class AppFacets(Protocol):
    """What applicability depends on: an :class:`App`, or its outline on an xdist worker that
    decides at collection without loading the app (``run.AppOutline``)."""

    @property
    def id(self) -> str: ...

    @property
    def platform(self) -> str: ...

    def has(self, facet: str) -> bool: ...


def why_not_applicable(rule: Rule, app: AppFacets, policy: Policy,
                       run_lacks: Mapping[str, str] | None = None) -> str | None:
    """Why ``rule`` cannot be evaluated on ``app`` (disabled, other platform, data missing,
    a need the run does not give), or None when it can. The reason of a not-applicable check
    starts with "not applicable". ``run_lacks`` is what the run does not give (need: reason,
    ``NocodeRun.lacks``); without it only the policy's needs are known."""
    if not policy.rule_enabled(rule.id):
        return f"{rule.id} disabled by policy {policy.source}"
    if rule.platforms and app.platform not in rule.platforms:
        return f"{NOT_APPLICABLE}: {rule.id} is for {', '.join(rule.platforms)}"
    missing = [facet for facet in rule.requires if not app.has(facet)]
    if missing:
        return (f"{NOT_APPLICABLE}: {app.id} has no {', '.join(missing)} data "
                f"({app.platform} {'export' if 'settings' in missing else 'source'})")
    for need in rule.needs:
        lacking = policy.lacks(need) if run_lacks is None else run_lacks.get(need)
        if lacking:
            return f"{NOT_APPLICABLE}: {lacking}"
    return None
