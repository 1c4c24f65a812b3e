"""Connectors: are the components and outbound destinations ones the policy approved?

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, Resource, check, not_applicable
from pytest_nocode.checks._support import setting_or_skip
from pytest_nocode.model import Connector, Module
from pytest_nocode.policy import Policy

UNKNOWN_MODULE = "(unknown module)"  # the adapters' word for a type no data attributes


def modules_in_use(app: App) -> dict[str, list[Connector]]:
    """The app's connectors by the module that provides them (unidentified ones apart)."""
    by_module: dict[str, list[Connector]] = {}
    for connector in app.connectors:
        if connector.package and connector.package != UNKNOWN_MODULE:
            by_module.setdefault(connector.package, []).append(connector)
    return by_module


def is_own_package(app: App, module: str) -> bool:
    """Is ``module`` the package whose own flows the app is (its examples, scanned in its CI)?
    That package is what is under review, not a third-party module to vet."""
    return app.own_package is not None and app.own_package.name == module


def _own_package_evidence(app: App) -> dict[str, str]:
    own = app.own_package
    return {"own_package": f"{own.name}@{own.version}" if own.version else own.name} \
        if own is not None else {}


def _type_counts(connectors: list[Connector]) -> dict[str, int]:
    return {c.type: len(c.used_by) for c in sorted(connectors, key=lambda c: -len(c.used_by))}


def _shown(counts: dict[str, int]) -> str:
    """The most used types with their step counts, for a one-line message."""
    more = f" and {len(counts) - 5} more" if len(counts) > 5 else ""
    return ", ".join(f"{t} ({n})" for t, n in list(counts.items())[:5]) + more


@check(
    "CON001",
    title="Connector or node type outside the allowlist",
    category="connectors",
    severity="medium",
    owasp=["LCNC-SEC-07", "LCNC-SEC-03"],
    rationale="""Community and custom nodes run with the platform's full rights and are not
    vetted by its maintainers; blocked connectors move data where policy forbids. The question
    is one per module: is this package reviewed? A node package's own flows (its examples,
    scanned in its CI) are not asked about that package itself, only about the others.""",
    remediation="Replace the module's nodes with approved ones, or have the module reviewed "
                "and add it (or its node types) to connectors.allow in the policy.",
    requires=("workflows",),
)
def test_connectors_are_allowed(nocode_app: App, nocode_findings: FindingCollector,
                                nocode_policy: Policy) -> None:
    policy = nocode_policy.excerpt("connectors")
    for module, connectors in sorted(modules_in_use(nocode_app).items()):
        if is_own_package(nocode_app, module):
            continue
        blocked = [c for c in connectors if nocode_policy.connector_blocked(c.type, module)]
        if blocked and len(blocked) < len(connectors):
            for connector in blocked:  # a type the policy blocks in a module it may allow
                nocode_findings.add(
                    connector, f"{connector.type} ({module}) is blocked by policy, used by "
                    f"{len(connector.used_by)} step(s)",
                    {"type": connector.type, "module": module, "version": connector.version,
                     "used_by": list(connector.used_by[:50]), "policy": policy},
                    severity="high")
            connectors = [c for c in connectors if c not in blocked]
        outside = [c for c in connectors if not nocode_policy.connector_allowed(c.type, module)]
        if not outside:
            continue
        version = next((c.version for c in outside if c.version), "")
        steps = [s for c in outside for s in c.used_by]
        counts = _type_counts(outside)
        verdict = "is blocked by policy" if blocked else "is not on the allowlist"
        nocode_findings.add(
            Module(module, version), f"module {module} {verdict}: {len(steps)} step(s) of "
            f"{len(counts)} type(s) use it ({_shown(counts)})",
            {"module": module, "version": version, "types": counts, "used_by": steps[:50],
             "policy": policy, **_own_package_evidence(nocode_app)},
            severity="high" if blocked else None)
    _listed_modules_outside_allowlist(nocode_app, nocode_findings, nocode_policy)
    _unidentified_outside_allowlist(nocode_app, nocode_findings, nocode_policy)


def _unattributed(app: App) -> list[Connector]:
    return [c for c in app.connectors if c.package == UNKNOWN_MODULE]


def _listed_modules_outside_allowlist(app: App, findings: FindingCollector,
                                      policy: Policy) -> None:
    """Modules the export lists (global-config) without telling which types they provide:
    still in use, so still a question when the policy does not allow them."""
    in_use = modules_in_use(app)
    unattributed = sorted(c.type for c in _unattributed(app))
    for module in app.modules:
        if module.name in in_use or is_own_package(app, module.name) \
                or policy.connector_allowed(module.name, module.name):
            continue
        if app.has("modules") or not unattributed:
            continue  # installed (GET /nodes maps every type) but no node of the app uses it
        verdict = ("is blocked by policy" if policy.connector_blocked(module.name, module.name)
                   else "is not on the allowlist")
        findings.add(module, f"module {module.name} {verdict}: the export lists it in use, "
                     f"and it provides some of {len(unattributed)} node type(s) no data "
                     f"attributes ({', '.join(unattributed[:5])})",
                     {"module": module.name, "version": module.version, "types": {},
                      "unattributed_types": unattributed[:50],
                      "policy": policy.excerpt("connectors")},
                     severity="high" if verdict.startswith("is blocked") else None)


def _unidentified_outside_allowlist(app: App, findings: FindingCollector,
                                    policy: Policy) -> None:
    """Node types whose module nothing names (a bare flows.json): one question for the app,
    since the allowlist cannot be checked by module (allowing or blocking a type still works)."""
    unknown = _unattributed(app)
    blocked = [c for c in unknown if policy.connector_blocked(c.type, "")]
    outside = [c for c in unknown if c not in blocked and not policy.connector_allowed(c.type, "")]
    for connector in blocked:
        findings.add(connector, f"{connector.type} is blocked by policy, used by "
                     f"{len(connector.used_by)} step(s)",
                     {"type": connector.type, "module": UNKNOWN_MODULE,
                      "used_by": list(connector.used_by[:50]),
                      "policy": policy.excerpt("connectors")}, severity="high")
    if not outside or app.modules:
        return  # with a module list, the types belong to its modules: asked about above
    counts = _type_counts(outside)
    findings.add(
        Resource("app", app.id, app.name, "connectors"),
        f"{len(counts)} node type(s) from community or custom modules the export does not name "
        f"are not on the allowlist ({_shown(counts)})",
        {"module": UNKNOWN_MODULE, "types": counts,
         "used_by": [s for c in outside for s in c.used_by][:50],
         "policy": policy.excerpt("connectors"), **_own_package_evidence(app)})


@check(
    "CON002",
    title="Outbound destination outside the allowlist",
    category="connectors",
    severity="medium",
    owasp=["LCNC-SEC-07", "LCNC-SEC-03"],
    rationale="""Every host a flow sends data to is a place the data can leak; only reviewed
    destinations should receive it.""",
    remediation="Add the host to hosts.allow in the policy after review, or remove the call.",
    requires=("workflows",),
    needs=("hosts.allow",),
)
def test_destinations_are_allowed(nocode_app: App, nocode_findings: FindingCollector,
                                  nocode_policy: Policy) -> None:
    if lacking := nocode_policy.lacks("hosts.allow"):  # as the plugin decides from needs
        not_applicable(lacking)
    for dest in nocode_app.destinations:
        step = nocode_app.step(dest.step_id)
        if step is None or dest.is_loopback:
            continue
        if step.is_config and not nocode_app.users_of(step.id):
            continue  # an unused config node (a leftover broker) sends nothing
        evidence = {"host": dest.host, "url": dest.url, "protocol": dest.protocol,
                    "policy": nocode_policy.excerpt("hosts")}
        if dest.dynamic or not dest.host:
            if dest.dynamic:
                nocode_findings.add(step, "destination is computed at run time, so it cannot "
                                    "be held to the allowlist", evidence)
            continue
        if not nocode_policy.host_allowed(dest.host):
            nocode_findings.add(step, f"sends to {dest.host}, which the policy does not allow",
                                evidence)


@check(
    "CON003",
    title="Editor can install unvetted node modules",
    category="connectors",
    severity="medium",
    owasp=["LCNC-SEC-07"],
    rationale="""With palette installs or uploads allowed, any editor user can add code from the
    npm registry to the running instance without review.""",
    remediation="Set externalModules.palette.allowInstall and allowUpload to false and install "
                "reviewed modules through your deployment.",
    requires=("settings",),
    platforms=("nodered",),
)
def test_palette_installs_disabled(nocode_app: App, nocode_findings: FindingCollector) -> None:
    install = setting_or_skip(nocode_app, "palette.allowInstall")
    if install.value is not False:
        nocode_findings.add(install, "editor users can install node modules from npm",
                            {"palette.allowInstall": install.value})
    upload = nocode_app.setting("palette.allowUpload")
    if upload is not None and upload.value is not False:
        nocode_findings.add(upload, "editor users can upload node module tarballs",
                            {"palette.allowUpload": upload.value})


@check(
    "CON004",
    title="Function nodes may load external modules",
    category="connectors",
    severity="medium",
    owasp=["LCNC-SEC-07"],
    rationale="""functionExternalModules lets any function node install and require arbitrary
    npm packages at deploy time.""",
    remediation="Set functionExternalModules: false in settings.js, or pin an allowlist with "
                "externalModules.modules.allowList.",
    requires=("settings",),
    platforms=("nodered",),
)
def test_function_external_modules_disabled(nocode_app: App,
                                            nocode_findings: FindingCollector) -> None:
    setting = setting_or_skip(nocode_app, "functionExternalModules")
    if setting.value is True:
        libs = [s.id for s in nocode_app.steps_of_type("function") if s.params.get("libs")]
        nocode_findings.add(setting, "function nodes can require arbitrary npm modules",
                            {"functionExternalModules": True, "functions_using_libs": libs})
