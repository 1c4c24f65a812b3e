"""The threat model of one app, as plain frozen data: what every threat-model form is drawn from.

:func:`pytest_nocode.threatmodel.build.build_threat_model` derives a :class:`ThreatModel` from
the normalized :class:`~pytest_nocode.model.App`, the data-flow engine and the run's findings;
the Markdown/Mermaid/DOT writer and the exporters (Threat Dragon v2, Threat Composer, OTM) only
read it. Nothing here refers back to the App: an exporter needs this module alone.

Identity: every ``id`` below is stable. It is derived from what the thing *is* (a step id, a
host name, a store's location, a threat's category + element + flow), never from list order or
run time, so the same configuration gives the same ids on every run and a review decision
recorded against an id stays attached (see :class:`RegisterEntry`). Element and flow ids are
readable keys (``"process:wf:1a2b"``, ``"external:service:api.example.com"``) and may hold any
character: a form with stricter id rules (Mermaid, DOT) escapes or maps them itself.

Every collection is a tuple, sorted by id, so two runs on the same input are equal and
serialise to the same bytes.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from dataclasses import dataclass, field

# -- vocabularies ------------------------------------------------------------------------------
# Kinds of element, in data-flow-diagram terms.
ELEMENT_KINDS = ("external_entity", "process", "data_store")

# Trust boundaries, outermost first. Each nests in the one before it: the app runs on a host
# or in a container network, inside the organisation's network, which is on the internet.
#   internet      anyone; callers of open entry points and public services sit here
#   organisation  the organisation's own network (the policy's internal hosts, private ranges)
#   host          the same host or container network (compose services, docker bridge)
#   app           the no-code app itself: its workflows, steps and own stores
BOUNDARY_KINDS = ("internet", "organisation", "host", "app")
# The policy's trust zone (:meth:`pytest_nocode.policy.Policy.zone_of`) → the boundary an
# element in that zone sits in. Loopback is the app's own host: inside "host". A host computed
# at run time ("unknown") may be anywhere: on the internet (fail closed).
ZONE_BOUNDARY = {"internet": "internet", "private": "organisation", "host": "host",
                 "loopback": "host", "app": "app", "unknown": "internet"}

# What an element holds or a flow carries (``holds`` / ``carries``), in these words only:
# "business records" (orders, invoices, payments) as :data:`pytest_nocode.dataflow.SENSITIVITY`
# names them; "request data" is what a caller sent.
DATA_KINDS = ("store data", "personal data", "credentials", "business records", "request data")

FRAMEWORKS = ("STRIDE", "LINDDUN")
STRIDE = ("spoofing", "tampering", "repudiation", "information disclosure",
          "denial of service", "elevation of privilege")
LINDDUN = ("linking", "identifying", "non-repudiation", "detecting", "data disclosure",
           "unawareness", "non-compliance")
# STRIDE per element (Microsoft's table): which categories apply to which kind of element.
STRIDE_PER_ELEMENT = {
    "external_entity": ("spoofing", "repudiation"),
    "process": STRIDE,
    "data_store": ("tampering", "repudiation", "information disclosure", "denial of service"),
    "data_flow": ("tampering", "information disclosure", "denial of service"),
}

# A threat's status, from the run's evidence:
#   open          a finding of this run makes it real (see Threat.evidence)
#   mitigated     every check covering it ran on this app and passed (Threat.mitigated_by)
#   needs review  no check covers it, or a covering check did not run: a person must judge
THREAT_STATUSES = ("open", "mitigated", "needs review")
# A team's decision in the threat register (--nocode-threat-register), by threat id:
DECISION_STATUSES = ("accepted", "mitigated", "transferred", "not applicable")


# -- the diagram ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TrustBoundary:
    """A trust boundary (a box in the diagram). ``parent`` is the id of the boundary it sits
    in ("" for the outermost, the internet)."""

    id: str  # "boundary:internet", "boundary:organisation", "boundary:host", "boundary:app"
    kind: str  # one of BOUNDARY_KINDS
    name: str  # for people: "Internet", "Organisation network", "Host / container network"
    parent: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Element:
    """An external entity, process or data store of the data-flow diagram.

    ``role`` says what it stands for:
      external entity: ``caller`` (whoever calls an entry point), ``service`` (a host the app
        sends to or reads from), ``mail recipient``
      process: ``workflow`` (a workflow / Node-RED tab, with its steps), or a step that matters
        on its own: ``entry point``, ``code``, ``command``, ``ai agent``, ``query``
      data store: ``database``, ``file``, ``sheet``, ``context``, ``credential store``, ``other``
    """

    id: str  # stable key, e.g. "process:workflow:<workflow id>", "store:file:/data/x.csv"
    kind: str  # one of ELEMENT_KINDS
    role: str
    name: str  # label for people (never a secret: built from names, hosts and locations)
    boundary: str  # id of the innermost TrustBoundary it sits in
    zone: str = ""  # the policy's trust zone (loopback | host | private | internet), or "app"
    holds: tuple[str, ...] = ()  # of DATA_KINDS: what it keeps or handles
    workflow_id: str = ""  # the workflow it belongs to ("" for entities and shared stores)
    parent: str = ""  # id of the workflow process a step-level process belongs to
    # finding keys that point at this element: the resources checks report on it, as
    # (resource kind, resource id), e.g. ("node", "<step id>"), ("workflow", "<id>")
    resources: tuple[tuple[str, str], ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class DataFlow:
    """Data moving from one element to another (an arrow of the diagram)."""

    id: str  # "flow:<source id>-><target id>" (one flow per ordered pair of elements)
    source: str  # Element id
    target: str  # Element id
    name: str  # label: what moves, e.g. "HTTP request", "SQL query", "mail"
    protocol: str = ""  # http | https | mqtt | db | smtp | … ("" when unknown / in-process)
    tls: bool | None = None  # None: unknown or not applicable (in-process)
    authentication: str | None = None  # as EntryPoint.authentication: "none", "basic", …
    carries: tuple[str, ...] = ()  # of DATA_KINDS
    crosses: tuple[str, ...] = ()  # ids of the TrustBoundary boxes it enters or leaves,
    # outermost first ("boundary:organisation", "boundary:host", "boundary:app")
    step_ids: tuple[str, ...] = ()  # the app's steps this flow was drawn from
    resources: tuple[tuple[str, str], ...] = ()  # finding keys, as in Element.resources


@dataclass(frozen=True, slots=True)
class EntryPointInfo:
    """A way into the app, with who calls it and what handles it."""

    id: str  # "entry:<step id>"
    kind: str  # http | webhook | form | websocket | chat | mqtt | tcp | udp | email | other
    route: str  # path, topic or port as configured
    methods: tuple[str, ...] = ()
    authentication: str | None = None  # "none" | mechanism | None (the data does not say)
    active: bool | None = None
    caller: str = ""  # Element id of the external entity that calls it
    process: str = ""  # Element id of the process that handles it


@dataclass(frozen=True, slots=True)
class Asset:
    """Something worth protecting: a store's data, a credential, personal data."""

    id: str  # "asset:<kind>:<key>"
    name: str
    kind: str  # "data store" | "credential" | "personal data"
    elements: tuple[str, ...] = ()  # Element ids that hold it


# -- threats ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, order=True)
class FindingKey:
    """Which finding of the run a threat links to: the rule and the resource it reported."""

    rule: str  # e.g. "INJ001"
    resource_id: str  # the finding's resource id (a step id, workflow id, setting key …)
    resource_kind: str = "node"


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """A team's decision about one threat, from the threat register (YAML, keyed by threat id),
    or an accepted risk carried over from a finding waiver (``source`` says which)."""

    threat_id: str
    status: str  # one of DECISION_STATUSES
    justification: str
    owner: str
    review_by: str  # ISO date; past it the decision has expired and fails like a waiver
    reviewer: str = ""
    ticket: str = ""
    source: str = ""  # "file:line" of the entry
    expired: bool = False  # review_by is before the run's date


@dataclass(frozen=True, slots=True)
class Threat:
    """One threat to one element or flow, written in Threat Composer's grammar:

    "A [source] [prerequisites] can [action], which leads to [impact], negatively impacting
    [impacted goal] of [impacted assets]."  (see :attr:`statement`)
    """

    id: str  # "TM-" + 10 hex digits of sha256(framework, category, target); see build.threat_id
    framework: str  # "STRIDE" | "LINDDUN"
    category: str  # one of STRIDE or LINDDUN
    target: str  # the Element or DataFlow id it threatens
    title: str  # short, for tables: "Spoofing of the caller of POST /hook"
    source: str  # threat source, without its article: "attacker on the internet"
    prerequisites: str  # "who can reach the webhook /hook"
    action: str  # "send forged requests that start the workflow"
    impact: str  # "actions taken in the name of a user who never asked for them"
    impacted_goal: tuple[str, ...] = ()  # confidentiality | integrity | availability | privacy
    impacted_assets: tuple[str, ...] = ()  # Asset or Element names, for people
    status: str = "needs review"  # one of THREAT_STATUSES
    evidence: tuple[FindingKey, ...] = ()  # findings that make it real (status open)
    checks: tuple[str, ...] = ()  # rule ids of the checks that cover it
    mitigated_by: tuple[str, ...] = ()  # rule ids of covering checks that ran and passed
    residual_risk: int | None = None  # 0-100, the highest risk score of its open evidence
    decision: RegisterEntry | None = None  # the team's register entry, when there is one

    @property
    def statement(self) -> str:
        """The full sentence, as Threat Composer writes it."""
        vowel = self.source[:1].lower() in "aeiou" and not self.source.startswith(
            ("user", "uni", "use", "one"))
        text = ("An " if vowel else "A ") + self.source
        if self.prerequisites:
            text += f" {self.prerequisites}"
        text += f" can {self.action}, which leads to {self.impact}"
        if self.impacted_goal or self.impacted_assets:
            text += ", negatively impacting "
            text += " and ".join(self.impacted_goal) or "the security"
            if self.impacted_assets:
                text += " of " + ", ".join(self.impacted_assets)
        return text + "."


@dataclass(frozen=True, slots=True)
class Mitigation:
    """A control that answers threats: the check that tests for it, and how it did on this
    run (``passed`` | ``failed`` | ``not run``)."""

    id: str  # "M-<rule id>"
    rule: str  # the covering check's rule id
    title: str  # the check's title
    status: str  # passed | failed | not run
    threats: tuple[str, ...] = ()  # Threat ids it answers


@dataclass(frozen=True, slots=True)
class Assumption:
    """Something the model takes for granted: a reviewer confirms or corrects it."""

    id: str  # "A-<short key>"
    statement: str
    threats: tuple[str, ...] = ()  # Threat ids that depend on it ( () : the whole model)


@dataclass(frozen=True, slots=True)
class ModelChanges:
    """What changed since the baseline (``--nocode-baseline``): ids added and removed."""

    baseline: str  # where the baseline came from (path), "" when there was none
    added_entry_points: tuple[str, ...] = ()
    removed_entry_points: tuple[str, ...] = ()
    added_flows: tuple[str, ...] = ()
    removed_flows: tuple[str, ...] = ()
    added_crossings: tuple[str, ...] = ()  # "<flow id> crosses <boundary id>"
    removed_crossings: tuple[str, ...] = ()
    added_threats: tuple[str, ...] = ()
    removed_threats: tuple[str, ...] = ()


@dataclass(frozen=True)
class ThreatModel:
    """The whole model of one app."""

    app_id: str
    app_name: str
    platform: str  # "n8n" | "node-red" | …
    scope: str  # one paragraph: what was modelled, from which data
    boundaries: tuple[TrustBoundary, ...] = ()
    elements: tuple[Element, ...] = ()
    flows: tuple[DataFlow, ...] = ()
    entry_points: tuple[EntryPointInfo, ...] = ()
    assets: tuple[Asset, ...] = ()
    threats: tuple[Threat, ...] = ()
    mitigations: tuple[Mitigation, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    # accepted risks: register decisions and finding waivers, with their expiry
    accepted_risks: tuple[RegisterEntry, ...] = ()
    new_threats: tuple[str, ...] = ()  # Threat ids the register does not know yet
    stale_entries: tuple[RegisterEntry, ...] = ()  # register entries whose threat is gone
    changes: ModelChanges | None = None  # None without a baseline
    # "" for a step-level model; else why it was drawn at workflow level (large apps)
    summarised: str = ""
    _by_id: dict[str, Element] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.elements})

    def element(self, element_id: str) -> Element | None:
        return self._by_id.get(element_id)
