"""Encryption: does data travel and rest protected, and are certificates checked?

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._support import (
    COMPUTED,
    flow_or_skip,
    received_data,
    sent_data,
    setting_or_skip,
)
from pytest_nocode.dataflow import DataFlow, dataflow, per_app
from pytest_nocode.findings import Rule
from pytest_nocode.model import Destination, Step, split_url
from pytest_nocode.policy import HOST_NAMES, ZONES, Policy, default_zone
from pytest_nocode.secretscan import SecretHit, find_secrets, is_secret_name
from pytest_nocode.secretscan.kinds import URL_KINDS

CLEARTEXT = {"http": "HTTP", "ws": "WebSocket", "mqtt": "MQTT", "tcp": "TCP", "udp": "UDP",
             "ftp": "FTP", "smtp": "SMTP", "telnet": "Telnet", "opcua": "OPC UA",
             "mysql": "MySQL", "postgres": "PostgreSQL", "mongodb": "MongoDB",
             "modbus": "Modbus TCP", "amqp": "AMQP"}


def _cleartext_targets(app: App, flow: DataFlow, dest: Destination
                       ) -> Iterator[tuple[str, str, int | None, str]]:
    """(protocol, host, port, url) of each cleartext target of a destination: its own, or for
    a URL computed at run time, each plain ``http://``/``ws://`` URL the flow shows reaching
    it (a function setting ``msg.url``, unless a later step sets it anew), or the unnamed host
    when the scheme alone is plain."""
    if dest.tls is False and not dest.dynamic:
        yield dest.protocol, dest.host, dest.port, dest.url
        return
    if not dest.dynamic:
        return
    for url in literal_urls(flow, dest):
        scheme, host, port, _ = split_url(url)
        if scheme in CLEARTEXT:
            yield scheme, host, port, url
    if dest.tls is False and dest.url.lstrip("=").lower().startswith(("http://", "ws://")):
        yield dest.protocol, dest.host, dest.port, dest.url


def literal_urls(flow: DataFlow, dest: Destination) -> list[str]:
    """The URLs written as text that the flow shows reaching a destination whose URL is set
    at run time (a function's ``msg.url = "http://…"``), unless a later step sets it anew."""
    literals = [o.detail for sf in flow.sinks_of(dest.step_id, frozenset({"url"}))
                for o in sf.origins if o.kind == "constant" and "://" in o.detail
                and flow.reaches_unreplaced(dest.step_id, o, "url")]
    return list(dict.fromkeys(literals))


# The fixed end of a host computed at run time: ``{{ $json.tenant }}.crm.example`` sits under
# crm.example whatever the tenant (a name with a dot and a top-level label of letters).
_DOMAIN_TAIL = re.compile(r"\.((?:[a-z0-9-]+\.)+[a-z]{2,})", re.I)


def fixed_domain(url: str) -> str:
    """The domain a URL's computed host ends in (``crm.example``), or "" when the export does
    not fix one."""
    authority = url.lstrip("=").strip().partition("://")[2].split("/", 1)[0]
    if not COMPUTED.search(authority):
        return ""
    tail = COMPUTED.split(authority.rsplit("@", 1)[-1])[-1].split(":", 1)[0]
    found = _DOMAIN_TAIL.fullmatch(tail)
    return found.group(1).lower() if found else ""


# A host computed at run time (msg.url, an expression, a ${ENV} placeholder, an address kept in
# context) is not shown to leave the own networks: reported only when credentials or labelled
# data cross it, then at full severity (fail closed: where they go is not known).
# Hosts that stand for "put yours here": xxx.xxx.xx.xx, your-broker.com, <host>; and the
# documentation domains themselves (RFC 2606: example.com, .net, .org, whose one page says so),
# the address of a test request. A name under them (api.partner.example.com) stands for
# someone's real server, as in the examples that use them: it stays a destination.
PLACEHOLDER_HOST = re.compile(r"(?:x+\.)+x+|your[-_.]?[\w.-]*|"
                              r"my[-_](?:host|server|broker|domain|ip)[\w.-]*|<[^>]*>|"
                              r"(?:www\.)?example\.(?:com|net|org)", re.I)


def placeholder_host(host: str) -> bool:
    """Is ``host`` a placeholder left in a shared export rather than a real destination?"""
    return bool(host) and PLACEHOLDER_HOST.fullmatch(host.strip()) is not None


def _url_credentials(app: App, step: Step, url: str) -> bool:
    """Is a password or token written into the URL itself (``user:pw@``, ``?pw=``,
    ``?api_key=``)? The secret scan already judged it a real value, not a placeholder."""
    return any(h.value in url for h in _url_secrets_by_step(app).get(step.id, ()))


@per_app
def _url_secrets_by_step(app: App) -> dict[str, list[SecretHit]]:
    """Step id → the secrets the scan found written into its URLs: looked up per finding,
    not a pass over every hit of the app for each (1.9 s of ENC001 at 20,000 workflows)."""
    out: dict[str, list[SecretHit]] = {}
    for hit in find_secrets(app):
        if hit.kind in URL_KINDS:
            out.setdefault(hit.step_id, []).append(hit)
    return out


def _carries_secrets(app: App, step: Step) -> bool:
    """Does the connection carry credentials: a stored credential, an auth header or a login
    in its settings?"""
    p = step.params
    if step.credential_refs or (isinstance(p.get("credentials"), dict) and p["credentials"]):
        return True
    if str(p.get("authType") or "") not in ("", "none") or str(
            p.get("authentication") or "none") not in ("none", ""):
        return True
    headers = str(p.get("headers") or "") + str(p.get("headerParameters") or "")
    return "authorization" in headers.lower() or bool(p.get("user") or p.get("username"))


def _secret_reaches_request(flow: DataFlow, step: Step) -> bool:
    """Do the request headers or URL carry a secret an earlier step put there: an environment
    or credential reference with a secret's name (``msg.headers = {Authorization: `Token
    ${env.get("INFLUX_TOKEN")}`}``, ``msg.url = … + "?password=" + env.get("PASSWORD")`` in
    a function)?"""
    return any(o.kind == "env" and is_secret_name(o.detail)
               for sf in flow.sinks_of(step.id, frozenset({"send", "url"}))
               for ref in sf.sink.reads if ref.name in ("headers", "url")
               for o in flow.origins(step.id, (ref,)))


@check(
    "ENC001",
    title="Cleartext connection to a remote host",
    category="encryption",
    severity="high",
    owasp=["LCNC-SEC-04", "LCNC-SEC-08"],
    rationale="""Data and credentials sent without TLS to a host beyond this machine can be read
    and changed by anyone on the network path. Inside the same host or the organisation's own
    network the risk is lower, unless credentials or sensitive data cross it.""",
    remediation="Use the TLS variant (https, mqtts/8883, FTPS/SFTP, TLS on TCP) with a tls "
                "configuration that verifies the server certificate.",
    requires=("workflows",),
)
def test_no_cleartext_to_remote_hosts(nocode_app: App, nocode_findings: FindingCollector,
                                      nocode_policy: Policy, nocode_rule: Rule) -> None:
    flow = flow_or_skip(nocode_app)
    services = stack_services(nocode_app, nocode_policy)
    for dest in nocode_app.destinations:
        step = nocode_app.step(dest.step_id)
        if step is None or step.disabled or step.type == "http proxy":
            continue  # off (or on a disabled tab); a proxy tunnels TLS for https targets
        if not dest.host and not dest.dynamic and not step.credential_refs:
            continue  # no host, and no credential that names one (n8n keeps FTP hosts there)
        if step.is_config and not nocode_app.users_of(step.id):
            continue  # an unused config node sends nothing
        for protocol, host, port, url in _cleartext_targets(nocode_app, flow, dest):
            if placeholder_host(host):
                continue  # documentation, not a destination
            _report_cleartext(nocode_app, flow, dest, step, (protocol, host, port, url),
                              nocode_findings, nocode_policy, nocode_rule, services)


# Data labelled so (passwords, tokens carried as data) is reported even on one host's compose
# network, where cleartext is off by default: a connection's own API key there is not.
CREDENTIAL_DATA = "credentials"
# How a finding names where a cleartext target sits when that lowers its severity.
ZONE_WORDS = {"host": "same host or compose network", "private": "private network",
              "unknown": "not shown to be remote"}


# A host that is one environment placeholder (``${MQTT_HOST}``): the deployment sets it. The
# export does not say where it points (a compose service as often as a cloud broker), so it is
# judged like any host the export does not pin down, until the policy's trust_zones place it,
# or until the app itself shows it runs as a compose stack (see stack_services).
ENV_HOST = re.compile(r"\$\{[A-Za-z_][\w.]*\}")
SHOWN_SERVICES = 2  # service names a message gives as the evidence of a compose stack


def stack_services(app: App, policy: Policy) -> list[str]:
    """The hosts of the app's own compose network or cluster that its connections name as
    written (``postgres``, ``172.18.0.5``, ``broker.iot.svc.cluster.local``: the host zone,
    not loopback and not a host alias such as ``host.docker.internal``, which a lone
    container on any machine has). A deployment whose nodes reach such services runs as a
    stack whose compose file also sets its ``${…_HOST}`` variables: the same file names the
    services and hands their names to Node-RED. An app that names none keeps its environment
    hosts unknown (fail closed)."""
    hosts: list[str] = []
    for dest in app.destinations:
        step = app.step(dest.step_id)
        host = dest.host.strip().lower()
        if not host or dest.dynamic or step is None or step.disabled \
                or any(c in host for c in "{}$=` ") or placeholder_host(host):
            continue  # computed, off, or "put yours here": names no service of a stack
        if default_zone(host) == "host" and policy.zone_of(host, app) == "host" \
                and host not in HOST_NAMES:
            hosts.append(host)
    return list(dict.fromkeys(hosts))


def as_written(host: str, url: str) -> str:
    """``host`` as the URL writes it (``${OLLAMA_HOST}``, not the lowercased lookup form a
    variable's name loses its meaning in)."""
    at = url.lower().find(host) if host else -1
    return url[at:at + len(host)] if at >= 0 else host


def _report_cleartext(app: App, flow: DataFlow, dest: Destination, step: Step,
                      target: tuple[str, str, int | None, str], findings: FindingCollector,
                      policy: Policy, rule: Rule, services: list[str]) -> None:
    """One cleartext target: its zone sets the severity, lowered inside the own networks
    unless credentials or labelled data cross; the message says which and why. An
    environment host the policy does not place sits on the app's compose network when the
    app's other nodes reach services there (``services``), else it stays unknown."""
    protocol, host, port, url = target
    domain = "" if host else fixed_domain(url)
    zone = policy.zone_of(host or domain, app) if host or domain else "unknown"
    written = as_written(host, url)
    env_host = ENV_HOST.fullmatch(written) is not None
    in_stack = zone == "unknown" and env_host and bool(services)
    if in_stack:
        zone = "host"
    if host and policy.encrypted_overlay(host):
        return  # a Tailscale node: the mesh's WireGuard tunnel carries it encrypted
    users = app.users_of(step.id) if step.is_config else ()
    secrets = any(_carries_secrets(app, s) or _secret_reaches_request(flow, s)
                  for s in (step, *users)) or _url_credentials(app, step, url)
    sent = sorted({label for _s, _o, found in sent_data(app, flow, dest) for label in found})
    received = received_data(app, flow, dest, url)
    labels = sorted({*sent, *received})  # data crosses whichever way it travels
    if zone == "unknown" and not (secrets or labels):
        return  # not shown to leave the own networks, and nothing worth reading crosses
    zone_severity = policy.cleartext_severity(zone, rule.severity)
    if zone_severity is None and not (zone == "host" and CREDENTIAL_DATA in labels
                                      and host not in HOST_NAMES
                                      and not policy.cleartext_severity_is_set(zone)):
        return  # loopback never leaves; by default a compose network only when passwords
        # cross (the docker host itself, host.docker.internal, is the machine: as loopback)
    severity = rule.severity if secrets or labels or zone_severity is None else zone_severity
    name = CLEARTEXT.get(protocol, protocol.upper())
    shown = f":{port}" if port else ""
    where = (f"{written if env_host else host}{shown}" if host
             else f"a host computed at run time under {domain}" if domain
             else "a host computed at run time" if dest.dynamic
             else "the server named in its credential")
    hint = (f"; {written} is set by the deployment's environment, which the export does not "
            "hold: list it under trust_zones in the policy to place it"
            if zone == "unknown" and env_host else
            f"; {written} is set by the deployment's environment, taken as a service of the "
            f"app's own compose network (its nodes reach {', '.join(services[:SHOWN_SERVICES])} "
            "there by name): list it under trust_zones in the policy to place it otherwise"
            if in_stack else "")
    lowering = zone in ZONE_WORDS and (zone != "unknown" or dest.dynamic or bool(host))
    crossing = ""  # said where the zone would lower the severity
    if lowering and (secrets or labels):
        crossing = " with credentials" if secrets else _carrying(sent, received)
    elif lowering and severity < rule.severity:
        crossing = (f" ({ZONE_WORDS[zone]}; no credentials or labelled data seen crossing: "
                    f"{severity.label})")
    findings.add(step, f"{name} without TLS to {where}{crossing}{hint}",
                 {"protocol": protocol, "host": host, "port": port, "url": url,
                  "type": step.type, "zone": zone, "credentials": secrets,
                  "sensitive": labels, "received": received,
                  **({"stack_services": services} if in_stack else {})},
                 severity=severity)


def _carrying(sent: list[str], received: list[str]) -> str:
    """What crosses, as a message says it: the labels of what is sent, then of what only
    comes back in the answer."""
    back = [label for label in received if label not in sent]
    parts = ([f"carrying {', '.join(sent)}"] if sent else []) + \
        ([f"bringing back {', '.join(back)}"] if back else [])
    return f" {' and '.join(parts)}" if parts else ""


@check(
    "ENC002",
    title="TLS certificate verification disabled",
    category="encryption",
    severity="high",
    owasp=["LCNC-SEC-04"],
    rationale="""A connection that accepts any certificate is open to interception: TLS without
    verification protects against nothing but passive eavesdropping.""",
    remediation="Turn certificate verification back on (Node-RED tls-config 'Verify server "
                "certificate'; n8n 'Ignore SSL Issues' off on HTTP Request, GraphQL, IMAP and "
                "Send Email; Home Assistant server 'Accept unauthorized SSL certificates' off) "
                "and trust the right CA instead. A tls-config is one setting however many "
                "nodes connect through it: it is reported once, on the tls-config, with those "
                "nodes in the evidence (users).",
    requires=("workflows",),
)
def test_certificates_are_verified(nocode_app: App, nocode_findings: FindingCollector,
                                   nocode_policy: Policy) -> None:
    flow = dataflow(nocode_app)
    shared: dict[str, list[tuple[Step, Destination]]] = {}  # tls-config id → its users
    for dest in nocode_app.destinations:
        if dest.verify_cert is not False or dest.tls is False or dest.is_loopback:
            continue
        step = nocode_app.step(dest.step_id)
        if step is None or (step.is_config and not nocode_app.users_of(step.id)):
            continue  # an unused config node connects nowhere
        tls = _tls_config_of(nocode_app, step)
        if tls is not None:
            shared.setdefault(tls.id, []).append((step, dest))
            continue
        nocode_findings.add(step, "certificate checks are off for "
                                  f"{_cert_target(flow, dest)}",
                            {"host": dest.host, "url": dest.url, "verify_cert": False,
                             "type": step.type, "zone": _zone(nocode_policy, dest, nocode_app)})
    for tls_id, uses in shared.items():
        _report_shared_tls(flow, nocode_app.step(tls_id), uses, nocode_findings,
                           nocode_policy, nocode_app)


def _tls_config_of(app: App, step: Step) -> Step | None:
    """The TLS configuration a step connects through (Node-RED's ``tls-config``): where its
    certificate setting lives, shared by every node that names it."""
    for ref in step.config_refs:
        config = app.step(ref)
        if config is not None and config.type == "tls-config":
            return config
    return None


def _cert_target(flow: DataFlow, dest: Destination) -> str:
    """Where a connection without certificate checks goes, as a reviewer reads it: its host,
    or for a URL set at run time the hosts of the URLs the flow shows it given."""
    if dest.host:
        return dest.host
    if not dest.dynamic:
        return "the server named in its credentials"
    urls = literal_urls(flow, dest) if flow.described else []
    hosts = [h for h in dict.fromkeys(split_url(u)[1] for u in urls)
             if h and not placeholder_host(h)]
    return f"a URL set at run time ({', '.join(hosts)})" if hosts \
        else "a URL set at run time"


def _zone(policy: Policy, dest: Destination, app: App) -> str:
    return policy.zone_of(dest.host, app) if dest.host else "unknown"


SHOWN_TARGETS = 3  # hosts a shared setting's message names; the evidence lists every user


def _report_shared_tls(flow: DataFlow, tls: Step | None, uses: list[tuple[Step, Destination]],
                       findings: FindingCollector, policy: Policy, app: App) -> None:
    """One finding on the TLS configuration that turns verification off, listing the nodes
    that connect through it: one setting to fix, however many requests use it."""
    if tls is None:
        return
    targets = list(dict.fromkeys(_cert_target(flow, d) for _, d in uses))
    shown = ", ".join(targets[:SHOWN_TARGETS])
    if len(targets) > SHOWN_TARGETS:
        shown += f" and {len(targets) - SHOWN_TARGETS} more"
    nodes = len({s.id for s, _ in uses})
    zones = {_zone(policy, d, app) for _, d in uses}
    who = "1 node connects" if nodes == 1 else f"{nodes} nodes connect"
    findings.add(tls, f"certificate checks are off for {shown}: {who} through this "
                      f"{tls.type}",
                 {"verify_cert": False, "type": tls.type,
                  "hosts": list(dict.fromkeys(d.host for _, d in uses if d.host)),
                  "zones": [z for z in (*ZONES, "unknown") if z in zones],
                  "users": [{"id": s.id, "name": s.name, "type": s.type, "host": d.host,
                             "url": d.url, "zone": _zone(policy, d, app)} for s, d in uses]})


@check(
    "ENC003",
    title="Stored credentials are not encrypted",
    category="encryption",
    severity="high",
    owasp=["LCNC-SEC-08"],
    rationale="""With credentialSecret: false, Node-RED writes every node credential (passwords,
    tokens) to flows_cred.json in clear; backups and repos then hold them readable.""",
    remediation="Set credentialSecret in settings.js to a strong secret kept outside the repo.",
    requires=("settings",),
    platforms=("nodered",),
)
def test_credentials_encrypted_at_rest(nocode_app: App,
                                       nocode_findings: FindingCollector) -> None:
    setting = setting_or_skip(nocode_app, "flowEncryptionType")
    if setting.value == "disabled":
        nocode_findings.add(setting, "node credentials are stored unencrypted",
                            {"flowEncryptionType": setting.value, "source": setting.source})
    elif setting.value == "system":
        nocode_findings.add(setting, "credentials are encrypted with a generated key kept in "
                            "clear beside them (.config.runtime.json)",
                            {"flowEncryptionType": setting.value, "source": setting.source},
                            severity="low")
