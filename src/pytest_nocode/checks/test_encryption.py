"""Encryption: does data travel and rest protected, and are certificates checked?"""

from __future__ import annotations

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.checks._support import setting_or_skip

CLEARTEXT = {"http": "HTTP", "ws": "WebSocket", "mqtt": "MQTT", "tcp": "TCP", "udp": "UDP",
             "ftp": "FTP", "smtp": "SMTP", "telnet": "Telnet"}


@check(
    "ENC001",
    title="Cleartext connection to a remote host",
    category="encryption",
    severity="high",
    owasp=["LCNC-SEC-04", "LCNC-SEC-08"],
    rationale="""Data and credentials sent without TLS to a host beyond this machine can be read
    and changed by anyone on the network path.""",
    remediation="Use the TLS variant (https, mqtts/8883, FTPS/SFTP, TLS on TCP) with a tls "
                "configuration that verifies the server certificate.",
    requires=("workflows",),
)
def test_no_cleartext_to_remote_hosts(nocode_app: App,
                                      nocode_findings: FindingCollector) -> None:
    for dest in nocode_app.destinations:
        if dest.tls is not False or dest.is_loopback:
            continue
        # A computed host still goes out in clear when the scheme is written as http/ws.
        if dest.dynamic and not dest.url.lstrip("=").lower().startswith(("http://", "ws://")):
            continue
        step = nocode_app.step(dest.step_id)
        if step is None or step.type == "http proxy":
            continue  # a proxy tunnels TLS for https targets; its own scheme is not the issue
        if not dest.host and not dest.dynamic and not step.credential_refs:
            continue  # no host, and no credential that names one (n8n keeps FTP hosts there)
        if step.is_config and not nocode_app.users_of(step.id):
            continue  # an unused config node sends nothing
        protocol = CLEARTEXT.get(dest.protocol, dest.protocol.upper())
        port = f":{dest.port}" if dest.port else ""
        target = (f"{dest.host}{port}" if dest.host
                  else "a host computed at run time" if dest.dynamic
                  else "the server named in its credential")
        nocode_findings.add(step, f"{protocol} without TLS to {target}",
                            {"protocol": dest.protocol, "host": dest.host, "port": dest.port,
                             "url": dest.url, "type": step.type})


@check(
    "ENC002",
    title="TLS certificate verification disabled",
    category="encryption",
    severity="high",
    owasp=["LCNC-SEC-04"],
    rationale="""A connection that accepts any certificate is open to interception: TLS without
    verification protects against nothing but passive eavesdropping.""",
    remediation="Turn certificate verification back on (Node-RED tls-config 'Verify server "
                "certificate'; n8n 'Ignore SSL Issues' off) and trust the right CA instead.",
    requires=("workflows",),
)
def test_certificates_are_verified(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for dest in nocode_app.destinations:
        if dest.verify_cert is not False or dest.tls is False or dest.is_loopback:
            continue
        step = nocode_app.step(dest.step_id)
        if step is None or (step.is_config and not nocode_app.users_of(step.id)):
            continue  # an unused config node connects nowhere
        nocode_findings.add(step, f"certificate checks are off for {dest.host or dest.url}",
                            {"host": dest.host, "url": dest.url, "verify_cert": False,
                             "type": step.type, "tls_config": [
                                 r for r in step.config_refs
                                 if (c := nocode_app.step(r)) and c.type == "tls-config"]})


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
