"""Commands: do shell commands or code steps read the platform's own secrets, or connect over
SSH without checking whom they talk to?

The text searched is what a step runs: the command of an exec / Execute Command / SSH node, the
code of a function / Code node, and a Node-RED template that feeds an exec node (the usual way
to build a command there). Comments and sticky notes are never searched: documenting a command
does not run it.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pytest_nocode import App, FindingCollector, check
from pytest_nocode.model import Step

# The parameters that hold what a step runs, by step type.
RUN_FIELDS: dict[str, tuple[str, ...]] = {
    "exec": ("command", "append"),
    "function": ("func", "initialize", "finalize"),
    "n8n-nodes-base.executeCommand": ("command",),
    "n8n-nodes-base.ssh": ("command",),
    "n8n-nodes-base.code": ("jsCode", "pythonCode"),
    "n8n-nodes-base.function": ("functionCode",),
    "n8n-nodes-base.functionItem": ("functionCode",),
    "@n8n/n8n-nodes-langchain.toolCode": ("jsCode", "pythonCode"),
}


@dataclass(frozen=True)
class Pattern:
    """One thing a command can do, with the words a finding uses for it."""

    name: str
    regex: re.Pattern[str]
    what: str
    # text every match holds, spelled as the regex's own case rule reads it (lower case for
    # a case-insensitive one): a string search skips the regex on the thousands of code
    # texts of an estate that cannot match (the regexes were most of these checks' time)
    screen: str

    def search(self, text: str, lowered: str | None) -> re.Match[str] | None:
        """The regex's first match in ``text`` (``lowered``: ``text.lower()`` when ``text``
        is ASCII, where lower case is exactly what a case-insensitive match ignores; None
        for other text, which the regex reads on its own)."""
        if self.regex.flags & re.IGNORECASE:
            if lowered is not None and self.screen not in lowered:
                return None
        elif self.screen not in text:
            return None
        return self.regex.search(text)


CREDENTIAL_DUMPS = (
    Pattern("n8n export:credentials", re.compile(r"\bn8n\s+export:credentials\b[^\n;|&]*"),
            "exports n8n's stored credentials", "export:credentials"),
    Pattern("n8n config", re.compile(r"\.n8n/config\b"),
            "reads n8n's config file, which holds the credentials' encryption key", ".n8n/config"),
    Pattern("n8n encryption key", re.compile(r"\bN8N_ENCRYPTION_KEY\b"),
            "reads n8n's credential encryption key", "N8N_ENCRYPTION_KEY"),
    Pattern("n8n credentials table", re.compile(r"\bcredentials_entity\b"),
            "reads n8n's credentials table", "credentials_entity"),
    Pattern("Node-RED credentials file", re.compile(r"\bflows?[\w.-]*_cred\.json\b"),
            "reads Node-RED's credentials file", "_cred.json"),
    Pattern("Node-RED runtime config", re.compile(r"\.config\.runtime\.json\b"),
            "reads Node-RED's runtime config, which holds the credential secret",
            ".config.runtime.json"),
)
HOST_KEY_OFF = (
    Pattern("StrictHostKeyChecking=no",
            re.compile(r"StrictHostKeyChecking[\"']?\s*[= ]\s*[\"']?(?:no|off|false)\b", re.I),
            "turns off SSH host-key checking", "stricthostkeychecking"),
    Pattern("UserKnownHostsFile=/dev/null",
            re.compile(r"UserKnownHostsFile[\"']?\s*[= ]\s*[\"']?/dev/null", re.I),
            "throws SSH host keys away, so none is ever checked", "userknownhostsfile"),
    Pattern("paramiko AutoAddPolicy", re.compile(r"\bAutoAddPolicy\s*\("),
            "accepts any SSH host key (paramiko AutoAddPolicy)", "AutoAddPolicy"),
)


def _run_text(app: App, step: Step) -> str:
    fields = RUN_FIELDS.get(step.type)
    if fields is None and step.type == "template" and any(
            (nxt := app.step(t)) is not None and nxt.type == "exec" for t in step.outbound):
        fields = ("template",)
    return "\n".join(str(step.params.get(f) or "") for f in fields or ())


def matches(app: App, patterns: tuple[Pattern, ...]) -> Iterator[tuple[Step, list[Pattern],
                                                                      list[str]]]:
    """Enabled steps whose run text matches, with the patterns and the matched text."""
    for step in app.steps:
        if step.disabled or step.is_config:
            continue
        text = _run_text(app, step)
        if not text:
            continue
        lowered = text.lower() if text.isascii() else None
        hits = [(p, m.group(0).strip()) for p in patterns if (m := p.search(text, lowered))]
        if hits:
            yield step, [p for p, _ in hits], [t for _, t in hits]


@check(
    "CMD001",
    title="Command reads the platform's stored credentials",
    category="secrets",
    severity="high",
    owasp=["LCNC-SEC-08", "LCNC-SEC-03"],
    rationale="""A step that exports n8n's credentials (export:credentials, --decrypted above all),
    reads the encryption key (~/.n8n/config, N8N_ENCRYPTION_KEY) or Node-RED's credentials file
    and credential secret (flows_cred.json, .config.runtime.json) hands every stored secret to
    whoever reads the step's output: an execution log, a chat, a backup repository.""",
    remediation="""Back up credentials with the platform's own encrypted backup, outside the
    workflows, and keep the encryption key out of any flow; if the step must stay, make sure its
    output goes nowhere but an encrypted store and waive this finding with that reason.""",
    requires=("workflows",),
)
def test_commands_do_not_dump_credentials(nocode_app: App,
                                          nocode_findings: FindingCollector) -> None:
    for step, patterns, texts in matches(nocode_app, CREDENTIAL_DUMPS):
        decrypted = any("--decrypted" in t for t in texts)
        what = "; ".join(p.what for p in patterns)
        nocode_findings.add(step, f"{what}{' in clear (--decrypted)' if decrypted else ''}",
                            {"type": step.type, "matches": [p.name for p in patterns],
                             "decrypted": decrypted})


@check(
    "CMD002",
    title="SSH host-key checking turned off",
    category="encryption",
    severity="high",
    owasp=["LCNC-SEC-04"],
    rationale="""Without host-key checking an SSH connection goes to whoever answers: anyone on
    the path can pose as the server, read what is sent (commands, files, the password) and
    answer in its place.""",
    remediation="""Pin the server's key: add it to known_hosts (ssh-keyscan once, reviewed) and
    drop StrictHostKeyChecking=no / UserKnownHostsFile=/dev/null (accept-new at the least).""",
    requires=("workflows",),
)
def test_ssh_host_keys_checked(nocode_app: App, nocode_findings: FindingCollector) -> None:
    for step, patterns, _texts in matches(nocode_app, HOST_KEY_OFF):
        nocode_findings.add(step, "; ".join(p.what for p in patterns),
                            {"type": step.type, "matches": [p.name for p in patterns]})
