"""n8n: workflow exports (one, a list, or a folder of them) and live snapshots into the model.

The raw form every source produces is ``{"workflows": [workflow, ...]}`` with the workflows
exactly as n8n exports them, plus optional instance-level keys from a live server (``users``,
``settings`` and ``audit`` are mapped; ``tags``, ``projects``, ``variables`` and unknown keys
stay in the raw snapshot only). Only this module knows what n8n's JSON looks like.

Choices worth knowing when reading findings:

* A step's id is the n8n node id (its name in old exports without ids). Node ids are UUIDs,
  unique in practice, but copied workflows repeat them; the App indexes steps by id, so a repeat
  gets ``@<workflow id>`` appended (and ``#2``, ``#3`` … if that still repeats) and keeps the
  n8n id as ``native_id``: findings name the node by its own id, and the path
  ``workflows/<workflow id>/<node id>`` carries the workflow. Workflows that share an id (copies
  in one folder) each get ``~`` and 6 hex of their content, whatever order they are read in;
  only identical copies fall back to ``#2``.
* Connections to or from a node name the workflow does not contain (a renamed or deleted node)
  are kept as ``broken_links``: the data flow cannot be followed past them.
* ``outbound`` follows every connection type as n8n stores it (source → target): for ``main``
  that is the data flow; for the AI types (``ai_tool``, ``ai_languageModel``, …) the sub-node
  points at the agent that uses it, and the agent also gets an edge to each sub-node, since it
  calls its tools with the data it received.
* Disabled nodes stay in ``steps`` (``disabled=True``) and in the connector and credential
  inventories, but add no entry point, destination or data store: n8n does not run them.
  Every node of an archived workflow (``isArchived``, n8n 2) is disabled so, as on a disabled
  Node-RED tab: it cannot even be activated before someone restores it.
* Authentication of entry points uses the model's words: ``none``, ``basic``, ``header``,
  ``jwt``, ``bearer``, ``instance`` (an n8n login); unknown n8n values pass through verbatim.
  Service triggers (GitHub, Stripe, …) are not entry points here: the service, not a stranger,
  calls them, and whether n8n checks its signature is not in the export. A Telegram trigger
  is one (kind ``chat``): Telegram calls it, but with messages anyone on Telegram can send,
  unless the node names the chats or users it accepts (authentication ``allowlist``).
* Every entry point says what a call to it can do (``effect``, ``effect_reason``), judged by
  :mod:`.n8n_entries` from the steps the call reaches, in the words Node-RED's entry points
  use (``model.EFFECTS``).
* ``audit`` (n8n's own security audit, from a live server) becomes advisories.
* n8n 2 keeps a saved draft beside the published version of a workflow: the steps are from
  the version that runs (:func:`version_that_runs`), and how the draft differs is kept on the
  workflow (:func:`draft_changes`, reported by DRIFT011). An export without the published
  version gets an app note saying the drafts were checked.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from pytest_nocode.appspec import AppSpec
from pytest_nocode.commandfiles import files_read, files_written
from pytest_nocode.compose import compose_of_snapshot, compose_zone_of, validate_compose
from pytest_nocode.dataflow import APP_CONFIGURATION, CREDENTIALS, DATABASE_DUMP, RUN_DATA
from pytest_nocode.errors import InputError, SchemaError
from pytest_nocode.model import (
    DRIVE_FILE,
    EMPTY,
    OWN_SERVICE,
    REPLY_TO_SENDER,
    Advisory,
    App,
    BrokenLink,
    Connector,
    Credential,
    DataStore,
    Destination,
    DraftChange,
    EntryPoint,
    Exposure,
    Module,
    Principal,
    Setting,
    Step,
    StepFlow,
    Workflow,
    is_loopback_host,
    is_model_api,
    is_self_hosted_model,
    name_node_ids,
    split_url,
    strip_userinfo,
)
from pytest_nocode.platforms import (
    Fetcher,
    FileExport,
    RawSnapshot,
    ShareFiles,
    ShareSteps,
    SkippedFile,
    expect,
    read_json_file,
)
from pytest_nocode.platforms.n8n_entries import EntryEffects
from pytest_nocode.platforms.n8n_flow import (
    BRANCHES,
    CALLED_TRIGGERS,
    CALLERS,
    ENTRY_TRIGGERS,
    NOTE,
    SCHEDULES,
    SQL_COMMENT,
    UNTRUSTED_TRIGGERS,
    UPLOADS,
    N8nFlows,
    answering_steps,
    community_sql_key,
    declared_columns,
    event_triggers,
    loop_targets,
    table_key,
    upload_operation,
)
from pytest_nocode.platforms.n8n_intake import STAND_IN_NOTE
from pytest_nocode.policy import default_zone

BASE = "n8n-nodes-base."
LANGCHAIN = "@n8n/n8n-nodes-langchain."
BUILTIN_PACKAGES = ("n8n-nodes-base", "@n8n/n8n-nodes-langchain")
WORKFLOW_EXPECTED = 'a workflow object with "nodes" and "connections"'

# n8n's authentication option values → the model's words.
AUTH_WORDS = {
    "none": "none",
    "basicAuth": "basic",
    "headerAuth": "header",
    "jwtAuth": "jwt",
    "bearerAuth": "bearer",
    "n8nUserAuth": "instance",
    "n8nOAuth2": "instance",
}

SQL_NODES = ("postgres", "mySql", "microsoftSql", "oracleDb", "timescaleDb", "questDb",
             "crateDb", "snowflake")
QUERY_OPS = frozenset({"executeQuery"})
SQL_WRITES = frozenset({"insert", "update", "delete", "merge", "upsert", "replace", "create",
                        "drop", "alter", "truncate", "grant", "revoke", "copy"})
SQL_TABLE = re.compile(r"\b(?:from|into|update|join|table)\s+([A-Za-z_][\w.\"`\[\]]*)", re.I)
# a data-modifying WITH clause: WITH inserted AS (INSERT INTO runs … RETURNING …) SELECT …
SQL_WRITING_CTE = re.compile(r"\bas\s*\(\s*(?:insert\s+into|update|delete\s+from)\s+"
                             r"([A-Za-z_][\w.\"`\[\]]*)", re.I)
READ_OPS = frozenset({"select", "find", "get", "getAll", "read", "lookup", "keys", "info",
                      "fromFile", "aggregate"})
WRITE_OPS = frozenset({"insert", "update", "upsert", "deleteTable", "delete", "set", "incr",
                       "push", "pop", "publish", "append", "appendOrUpdate", "clear", "remove",
                       "write", "create", "toFile", "findOneAndUpdate", "findOneAndReplace"})


class N8nPlatform:
    """The n8n adapter: reads exports, and turns raw snapshots into an :class:`App`."""

    name = "n8n"
    title = "n8n"

    # -- reading ---------------------------------------------------------------------------
    def load_file(self, path: Path) -> dict[str, Any]:
        """One export, a list of them, a folder of them (see :meth:`load_export`), a saved
        public-API page (``{"data": [...]}``) or a snapshot already in the raw form; returns
        ``{"workflows": [...]}`` (plus any instance-level keys a snapshot file carries)."""
        data: dict[str, Any] = self.load_export(path).data
        return data

    def load_export(self, path: Path) -> FileExport:
        """:meth:`load_file`'s raw form, with the files of a folder that hold no workflow.

        A folder is read with its sub-folders (``export:workflow --all --separate`` writes a
        flat one; backup tools write one folder per workflow or per project or tag), leaving
        out hidden folders and ``node_modules``. A JSON file that holds no workflow (a
        ``metadata.json``, a manifest, a credentials export) is skipped with the reason; one
        that looks like a workflow but is malformed is an error naming it, as is a folder
        with no workflow at all.
        """
        if not path.is_dir():
            data = read_json_file(path)
            if isinstance(data, dict) and "workflows" in data and "nodes" not in data:
                _validate_raw(data, f"{path}: $")
                return FileExport(data if "compose" in data else {**data, **_compose(path)})
            return FileExport({"workflows": _workflows_in(data, path, allow_raw=True),
                               **_compose(path)})
        files = _json_files(path)
        skipped: list[SkippedFile] = []
        workflows = list(_folder_workflows(path, files, skipped))
        if not workflows:
            _no_workflow_in(path, files, skipped)
        return FileExport({"workflows": workflows, **_compose(path)}, tuple(skipped))

    def fetch(self, spec: AppSpec, client: Fetcher) -> tuple[Any, dict[str, str]]:
        """The public API (:mod:`pytest_nocode.platforms.n8n_live`), imported only when used."""
        from pytest_nocode.platforms.n8n_live import fetch_n8n

        return fetch_n8n(spec, client)  # type: ignore[arg-type]

    # -- normalizing -----------------------------------------------------------------------
    def normalize(self, spec: AppSpec, raw: RawSnapshot) -> App:
        """Build the model; a wrong shape (also from a live server) names its JSON path."""
        data = raw.data
        where = spec.location if spec.transport in ("file", "demo") else spec.uri
        _validate_raw(data, f"{where}: $")
        seen = Counter(_wanted_id(wf, i) for i, wf in enumerate(data["workflows"]))
        builder = _Builder()
        builder.repeated_ids = {wid for wid, n in seen.items() if n > 1}
        for index, wf in enumerate(data["workflows"]):
            builder.add_workflow(wf, index)
        return self._app(spec, builder, data, raw.notes)

    def normalize_export(self, spec: AppSpec, path: Path, share: ShareFiles | None = None,
                         describe: ShareSteps | None = None) -> tuple[App, FileExport]:
        """``normalize`` of what ``load_export(path)`` reads, a folder's files read and built
        one at a time, each file's JSON let go once its workflows are in the model (which
        keeps their parameters): on 20,000 workflows, holding every parsed file until the
        model was built was half of the run's peak memory. The export returned holds no data.

        With ``share`` (xdist workers) the files are built in parts, each part by one process
        of the run, and the parts joined as one pass over every file builds them
        (:meth:`_Builder.absorb`); when they do not join so (an id repeated across parts, a
        workflow named by its place in the folder), this process builds them all itself.
        With ``describe`` too, every step of a folder is described for the data flow in
        parts the same way before the entry points are judged from those descriptions
        (judging described thousands of steps in each worker, again).

        Workflow ids that repeat across files are only known once every file has been read;
        when some do (copies in a backup folder), the files are read and built a second
        time, as ``normalize`` builds them knowing the repeated ids from the start."""
        if not path.is_dir():
            export = self.load_export(path)
            raw = RawSnapshot(self.name, export.data, spec.transport)
            return self.normalize(spec, raw), replace(export, data=None)
        files = _json_files(path)

        def build(repeated_ids: set[str]) -> _BuiltPart:
            return _BuiltPart.of(path, files, repeated_ids)

        built = _joined(share(files, lambda part: _BuiltPart.of(path, part, set()))) \
            if share is not None and len(files) > 1 else None
        if built is None:
            built = build(set())
        if not built.seen:
            _no_workflow_in(path, files, built.skipped)
        repeated = {wid for wid, n in built.seen.items() if n > 1}
        if repeated:
            built = build(repeated)
        return (self._app(spec, built.builder, _compose(path), {}, describe),
                FileExport(None, tuple(built.skipped)))

    def _app(self, spec: AppSpec, builder: _Builder, data: Mapping[str, Any],
             fetch_notes: Mapping[str, str], describe: ShareSteps | None = None) -> App:
        """The App of the workflows ``builder`` took, with what an instance snapshot
        (``data`` beyond its workflows) adds: users, settings, version, the audit; its entry
        points judged from ``describe``'s descriptions of every step, if given."""
        builder.link_called_workflows()
        flows = None if describe is None else describe(builder.steps, builder.flows.describe)
        builder.judge_entry_points(None if flows is None else builder.described(flows))
        facets = {"workflows"}
        principals: tuple[Principal, ...] = ()
        users = _user_list(data)
        if users is not None:
            facets.add("principals")
            principals = tuple(_principal(u) for u in users)
        settings: dict[str, Setting] = {}
        if isinstance(data.get("settings"), dict):
            facets.add("settings")
            settings = {str(k): Setting(str(k), v, "n8n settings")
                        for k, v in data["settings"].items()}
        modules, exposures = _instance(data, facets, fetch_notes)
        advisories: tuple[Advisory, ...] = ()
        if data.get("audit") is not None:
            from pytest_nocode.platforms.n8n_live import advisories_from_audit

            facets.add("advisories")
            advisories = advisories_from_audit(data["audit"])
        compose_hosts, notes = compose_of_snapshot(data.get("compose"))
        unseen = published_not_seen(builder.workflows)
        if unseen:
            notes[PUBLISHED_NOTE] = unseen
        return App(
            id=spec.id,
            platform=self.name,
            name=_app_name(spec, builder.workflows),
            facets=frozenset(facets),
            workflows=tuple(builder.workflows),
            steps=tuple(builder.steps),
            entry_points=tuple(builder.entry_points),
            destinations=tuple(builder.destinations),
            connectors=builder.connectors(),
            credentials=builder.credentials(),
            principals=principals,
            stores=tuple(builder.stores),
            advisories=advisories,
            modules=modules,
            exposures=exposures,
            broken_links=tuple(builder.broken_links),
            settings=settings,
            flow_of=builder.flows.describe_once,
            notes=MappingProxyType(notes),
            compose_hosts=compose_hosts,
        )


def _instance(data: Mapping[str, Any], facets: set[str], notes: Mapping[str, str]
              ) -> tuple[tuple[Module, ...], tuple[Exposure, ...]]:
    """The version and the unauthenticated probes of a live snapshot (facets added in place);
    an instance with no owner yet has no workflows to read, so none are claimed."""
    from pytest_nocode.platforms.n8n_live import NO_OWNER_NOTE, instance_facts

    if notes.get("workflows") == NO_OWNER_NOTE:
        facets.discard("workflows")
    facts = instance_facts(data)
    if facts is None:
        return (), ()
    modules, exposures = facts
    facets.add("exposure")
    if modules:
        facets.add("modules")
    return modules, exposures


# -- shape checks ------------------------------------------------------------------------------
def _at(where: str, key: str) -> str:
    """JSON path of ``key`` under ``where``: ``$.nodes`` or ``$.connections["My node"]``."""
    return f"{where}.{key}" if key.isidentifier() else f"{where}[{json.dumps(key)}]"


SKIPPED_FOLDERS = frozenset({"node_modules"})  # and every hidden folder (.git, .n8n, …)


def _json_files(folder: Path) -> list[Path]:
    """The ``*.json`` files under ``folder`` and its sub-folders, by relative path."""
    found: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS]
        found.extend(Path(root) / n for n in names if n.endswith(".json"))
    return sorted((f for f in found if f.is_file()),
                  key=lambda f: f.relative_to(folder).parts)


def _folder_workflows(folder: Path, files: list[Path], skipped: list[SkippedFile]
                      ) -> Iterator[Any]:
    """The workflows of a folder's ``files``, shape-checked, read one file at a time; each
    file that holds none is added to ``skipped`` with the reason."""
    for file in files:
        data = read_json_file(file)
        reason = _not_a_workflow(data)
        if reason:
            skipped.append(SkippedFile(file.relative_to(folder).as_posix(), reason))
        else:
            yield from _workflows_in(data, file, allow_raw=False)


def _no_workflow_in(folder: Path, files: list[Path], skipped: list[SkippedFile]) -> None:
    """A folder without a single workflow is an error naming what it holds (an empty
    folder, or what one of its files is instead); one whose files are empty lists is not."""
    if not files:
        raise InputError(f"no *.json workflow exports in {folder}")
    if skipped:
        first = skipped[0]
        raise InputError(f"{folder}: none of its {len(files)} JSON file(s) is a workflow "
                         f"export (e.g. {first.path}: {first.reason})")


def _looks_like_workflow(item: Any) -> bool:
    """Both keys in any shape, or either in its own (a node list, a connections object); a
    tool's metadata counting ``"nodes": 12`` does not."""
    return isinstance(item, dict) and (
        ("nodes" in item and "connections" in item) or isinstance(item.get("nodes"), list)
        or isinstance(item.get("connections"), dict))


def _is_credential(item: Any) -> bool:
    """An entry of ``n8n export:credentials``: ``{"id", "name", "type", "data", …}``."""
    return isinstance(item, dict) and {"name", "type", "data"} <= item.keys()


def _not_a_workflow(data: Any) -> str | None:
    """Why a JSON file in an export folder holds no workflow, or None when it does (or
    looks as if it should: then its shape is checked and any fault is an error)."""
    if isinstance(data, dict):
        if _looks_like_workflow(data) or "workflows" in data:
            return None
        page = data.get("data")
        if isinstance(page, list) and (not page or any(map(_looks_like_workflow, page))):
            return None
        if _is_credential(data):
            return "an n8n credentials export, not a workflow"
        keys = sorted(str(k)[:40] for k in data)
        shown = ", ".join(keys[:6]) + (", …" if len(keys) > 6 else "")
        return ('an object without "nodes" and "connections"'
                + (f" (keys: {shown})" if keys else ""))
    if isinstance(data, list):
        if not data or any(map(_looks_like_workflow, data)):
            return None
        if all(map(_is_credential, data)):
            return "an n8n credentials export, not a workflow"
        return f"a list of {len(data)} item(s), none a workflow"
    return f"a JSON {_json_kind(data)}, not a workflow"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "null"


def _workflows_in(data: Any, file: Path, allow_raw: bool) -> list[Any]:
    """The workflows one export file holds (an object or a list), shape-checked."""
    if isinstance(data, list):
        for i, wf in enumerate(data):
            _validate_workflow(wf, f"{file}: $[{i}]")
        return data
    if isinstance(data, dict) and ("nodes" in data or "connections" in data):
        _validate_workflow(data, f"{file}: $")
        return [data]
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        # a saved page of the public API: GET /api/v1/workflows → {"data": [...], …}
        page: list[Any] = data["data"]
        for i, wf in enumerate(page):
            _validate_workflow(wf, f"{file}: $.data[{i}]")
        return page
    hint = ' or a {"workflows": [...]} snapshot' if allow_raw else ""
    raise SchemaError(f"{file}: $: expected {WORKFLOW_EXPECTED}, a list of them{hint}")


def _validate_raw(data: Any, where: str) -> None:
    """The raw form: ``{"workflows": [...], "users"?: [...], "settings"?: {...}, …}``."""
    expect(isinstance(data, dict), where, 'an object with a "workflows" list')
    expect(isinstance(data.get("workflows"), list), _at(where, "workflows"),
           "a list of workflows")
    for i, wf in enumerate(data["workflows"]):
        _validate_workflow(wf, f"{where}.workflows[{i}]")
    if data.get("users") is not None:
        users = data["users"]
        if isinstance(users, dict):  # the public API's page: {"data": [...], "nextCursor"}
            expect(isinstance(users.get("data"), list), _at(where, "users") + ".data",
                   "a list of users")
            users, where_users = users["data"], _at(where, "users") + ".data"
        else:
            where_users = _at(where, "users")
            expect(isinstance(users, list), where_users, "a list of users")
        for i, user in enumerate(users):
            expect(isinstance(user, dict) and isinstance(user.get("id"), (str, int)),
                   f"{where_users}[{i}]", 'a user object with an "id"')
    if data.get("settings") is not None:
        expect(isinstance(data["settings"], dict), _at(where, "settings"),
               "an object of instance settings")
    if "compose" in data:
        validate_compose(data["compose"], _at(where, "compose"))


def _compose(path: Path) -> dict[str, Any]:
    """``{"compose": …}`` for the compose stack beside a file export that runs it (see
    :mod:`pytest_nocode.compose`), or nothing."""
    zone = compose_zone_of(path, "n8n")
    return {"compose": zone.to_json()} if zone else {}


def _optional(obj: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], where: str,
              expected: str) -> None:
    value = obj.get(key)
    if value is None:
        return
    if not (isinstance(value, kinds) and (kinds is bool or not isinstance(value, bool))):
        expect(False, _at(where, key), expected)  # the path is spelled out only when wrong


BOOLEAN_EXPECTED = "true or false (or 0 or 1)"


def _boolean(obj: dict[str, Any], key: str, where: str) -> None:
    """A flag n8n writes as ``true``/``false``; its SQLite database stores booleans as 0 and 1,
    and backup tools that read it write those: 0 and 1 are read as false and true (in place,
    so every later reading sees a boolean); any other value is an error naming its path."""
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return
    if type(value) is int and value in (0, 1):
        obj[key] = value == 1
        return
    expect(False, _at(where, key), BOOLEAN_EXPECTED)


def _validate_workflow(wf: Any, where: str) -> None:
    """Every shape ``normalize`` relies on, so that mapping never meets a surprise."""
    expect(isinstance(wf, dict) and "nodes" in wf and "connections" in wf, where,
           WORKFLOW_EXPECTED)
    expect(isinstance(wf["nodes"], list), f"{where}.nodes", "a list of nodes")
    expect(isinstance(wf["connections"], dict), f"{where}.connections",
           "an object mapping node names to their outputs")
    _optional(wf, "id", (str, int), where, "a workflow id (string)")
    _optional(wf, "name", str, where, "a workflow name (string)")
    _boolean(wf, "active", where)
    _boolean(wf, "isArchived", where)
    _optional(wf, "settings", dict, where, "an object of workflow settings")
    _optional(wf, "tags", list, where, "a list of tags")
    for i, tag in enumerate(wf.get("tags") or ()):
        expect(isinstance(tag, str) or (isinstance(tag, dict)
                                        and isinstance(tag.get("name"), str)),
               f"{where}.tags[{i}]", 'a tag name or a tag object with a "name"')
    _optional(wf, "versionId", str, where, "a version id (string)")
    _optional(wf, "activeVersionId", str, where, "the published version's id (string)")
    _optional(wf, "activeVersion", dict, where, "the published version (an object)")
    _validate_graph(wf, where)
    if isinstance(wf.get("activeVersion"), dict):
        published = wf["activeVersion"]
        here = f"{where}.activeVersion"
        expect("nodes" in published and "connections" in published, here,
               'the published version with "nodes" and "connections"')
        expect(isinstance(published["nodes"], list), f"{here}.nodes", "a list of nodes")
        expect(isinstance(published["connections"], dict), f"{here}.connections",
               "an object mapping node names to their outputs")
        _validate_graph(published, here)


def _validate_graph(wf: Mapping[str, Any], where: str) -> None:
    """The nodes and connections of a workflow (its draft) or of its published version.

    Each JSON path is spelled out only for the value that is wrong (``_at`` JSON-encodes a
    node name with a space in it: on 2,000 workflows that was 150,000 paths per read)."""
    for i, node in enumerate(wf["nodes"]):
        here = f"{where}.nodes[{i}]"
        expect(isinstance(node, dict), here, "a node object")
        if not isinstance(node.get("type"), str) or node["type"] == "":
            expect(False, f"{here}.type", "the node type (string)")
        if not isinstance(node.get("name"), str):
            expect(False, f"{here}.name", "the node name (string)")
        _optional(node, "id", (str, int), here, "a node id (string)")
        _optional(node, "parameters", dict, here, "an object of node parameters")
        _boolean(node, "disabled", here)
        _optional(node, "credentials", dict, here,
                  "an object mapping credential types to credentials")
        for ctype, ref in (node.get("credentials") or {}).items():
            if not isinstance(ref, (str, dict)):
                expect(False, _at(f"{here}.credentials", ctype),
                       'a credential {"id", "name"} or a credential name')
    connections = f"{where}.connections"
    for source, kinds in wf["connections"].items():
        if not isinstance(kinds, dict):
            expect(False, _at(connections, source),
                   'an object of connection types ("main", …)')
        for kind, outputs in kinds.items():
            if not isinstance(outputs, list):
                expect(False, _at(_at(connections, source), kind),
                       "a list of outputs")
            for o, output in enumerate(outputs):
                if output is None:  # n8n writes null for an output nothing is wired to
                    continue
                if not isinstance(output, list):
                    expect(False, f"{_at(_at(connections, source), kind)}[{o}]",
                           "a list of connections")
                for c, conn in enumerate(output):
                    if not (isinstance(conn, dict) and isinstance(conn.get("node"), str)):
                        here = _at(_at(connections, source), kind)
                        expect(False, f"{here}[{o}][{c}]", 'a connection {"node": NAME, …}')


# -- n8n 2: the published version and the draft ----------------------------------------------
PUBLISHED_NOTE = "published versions"
AUTH_PARAMS = ("authentication", "incomingAuthentication")
# node keys that change how the editor draws a node, not what it does
COSMETIC_KEYS = frozenset({"id", "position", "notes", "notesInFlow", "color"})


def version_that_runs(wf: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The nodes and connections n8n runs for ``wf`` (the workflow itself, or its published
    version), and which version that is: "published", "draft", or "" (n8n 1: no drafts).

    n8n 2 keeps a draft (the top-level ``nodes`` and ``connections``, what the editor saves)
    beside the published version (``activeVersion``; ``activeVersionId`` is its id). An active
    workflow runs its published version; an inactive one runs nothing, and its draft is what
    activating it would run. ``export:workflow`` files carry ``activeVersionId`` but not the
    published nodes: the draft is all there is then, and it is what runs only when its
    ``versionId`` is the published one (nothing saved since publishing).
    """
    if "activeVersionId" not in wf and "activeVersion" not in wf:
        return wf, ""
    if wf.get("active") is not True:
        return wf, "draft"
    published = wf.get("activeVersion")
    if isinstance(published, dict):
        return published, "published"
    if wf.get("activeVersionId") and wf.get("activeVersionId") == wf.get("versionId"):
        return wf, "published"
    return wf, "draft"


def draft_changes(wf: Mapping[str, Any]) -> tuple[DraftChange, ...]:
    """How the draft of ``wf`` differs from its published version, step by step (by node id):
    steps added, removed or changed (what changed, wiring included; moving a node on the
    canvas is no change), and changed authentication of a step on its own. () when the
    published version is not in the data or the two are the same."""
    published = wf.get("activeVersion")
    if not isinstance(published, Mapping):
        return ()
    before, after = _nodes_by_key(published), _nodes_by_key(wf)
    wiring_before, wiring_after = _wiring(published, before), _wiring(wf, after)
    changes: list[DraftChange] = []
    for key, node in after.items():
        if key not in before:
            changes.append(DraftChange("added", node["name"], node["type"]))
    for key, node in before.items():
        if key not in after:
            changes.append(DraftChange("removed", node["name"], node["type"]))
    for key, new in after.items():
        old = before.get(key)
        if old is None:
            continue
        old_params, new_params = old.get("parameters") or {}, new.get("parameters") or {}
        parts = [k for k in sorted((set(old) | set(new)) - COSMETIC_KEYS - {"parameters"})
                 if old.get(k) != new.get(k)]
        if ({k: v for k, v in old_params.items() if k not in AUTH_PARAMS}
                != {k: v for k, v in new_params.items() if k not in AUTH_PARAMS}):
            parts.append("parameters")
        if wiring_before.get(key) != wiring_after.get(key):
            parts.append("wiring")
        if parts:
            changes.append(DraftChange("changed", new["name"], ", ".join(parts)))
        for param in AUTH_PARAMS:
            if old_params.get(param) != new_params.get(param):
                changes.append(DraftChange(
                    "authentication", new["name"],
                    f"{_auth(old_params.get(param))} → {_auth(new_params.get(param))}"))
    return tuple(changes)


def _nodes_by_key(graph: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Nodes by id (by name in old exports without ids); a renamed node is the same node."""
    return {str(n["id"]) if n.get("id") not in (None, "") else n["name"]: n
            for n in graph["nodes"]}


def _input_index(value: Any) -> int:
    """The input a connection feeds: n8n writes an integer; anything else compares as 0 (the
    normalizer reads wiring by node name only, so no check depends on it)."""
    return value if isinstance(value, int) else 0


def _wiring(graph: Mapping[str, Any], nodes: Mapping[str, Mapping[str, Any]]
            ) -> dict[str, list[tuple[str, int, str, str, int]]]:
    """Each node's outgoing connections by node key, so a renamed node keeps its wiring."""
    key_of = {node["name"]: key for key, node in nodes.items()}
    out: dict[str, list[tuple[str, int, str, str, int]]] = {}
    for source, kinds in graph["connections"].items():
        edges = sorted((kind, o, key_of.get(conn["node"], conn["node"]),
                        str(conn.get("type", kind)), _input_index(conn.get("index")))
                       for kind, outputs in kinds.items()
                       for o, output in enumerate(outputs or ()) for conn in output or ())
        if edges:
            out[key_of.get(source, source)] = edges
    return out


def published_not_seen(workflows: Iterable[Workflow]) -> str:
    """The report's note when active workflows were checked on their drafts, else ""."""
    unseen = [w for w in workflows if w.active is True and w.version == "draft"]
    if not unseen:
        return ""
    names = ", ".join(f"{w.name or w.id!r}" for w in unseen[:5])
    more = f" and {len(unseen) - 5} more" if len(unseen) > 5 else ""
    return (f"{len(unseen)} active workflow(s) name a published version (activeVersionId) "
            "that the data does not carry, as n8n 2's export:workflow writes them: their "
            "saved drafts were checked, and what runs may differ; scan the instance live to "
            f"check what runs ({names}{more})")


def _user_list(data: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    users = data.get("users")
    if users is None:
        return None
    listed: list[dict[str, Any]] = users["data"] if isinstance(users, dict) else users
    return listed


# -- mapping -----------------------------------------------------------------------------------
# meta keys a catalogue of shared workflows adds (n8n writes instanceId, templateId and
# templateCredsSetupCompleted only): a file with them was edited for the collection
CATALOGUE_META = frozenset({"license", "category", "owner", "status", "priority", "environment",
                            "createdAt", "updatedAt", "requiredCredentials", "triggers"})
INSTANCE_ID = re.compile(r"[0-9a-f]{64}")  # n8n's instance id: a SHA-256 in hex


WORKFLOW_ID = re.compile(r"[A-Za-z0-9]{16}")  # the id n8n gives a workflow it stores
VERSION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def downloaded_from_instance(wf: Mapping[str, Any]) -> bool:
    """Whether the file is an instance's Download of the workflow: the workflow id, versionId,
    a true/false ``active`` and ``meta.instanceId``, as the editor writes them, and none of the
    fields a template collection adds. Such a file has no timestamps, yet its inactive flag
    is what the instance had; a template's or a collection's is not. A download whose owner
    removed ``meta`` whole (to keep the instance id private) still counts when its id and
    versionId have the shapes the instance gives them (a 16-character id, a UUID): a
    template or a hand-made file carries neither."""
    meta = wf.get("meta")
    if not (isinstance(wf.get("active"), bool)
            and bool(_text(wf.get("id"))) and bool(_text(wf.get("versionId")))):
        return False
    if meta is None:
        return WORKFLOW_ID.fullmatch(_text(wf.get("id"))) is not None \
            and VERSION_ID.fullmatch(_text(wf.get("versionId"))) is not None
    return (isinstance(meta, Mapping) and INSTANCE_ID.fullmatch(_text(meta.get("instanceId")))
            is not None
            and not CATALOGUE_META & meta.keys())


def _text(value: Any) -> str:
    """A parameter as text; resource locators (``{"__rl": true, "value": …}``) give their
    value."""
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value)


def _options(params: Mapping[str, Any]) -> Mapping[str, Any]:
    options = params.get("options")
    return options if isinstance(options, dict) else EMPTY


def _auth(value: Any, default: str = "none") -> str:
    if value is None or value == "":
        return default
    return AUTH_WORDS.get(str(value), str(value))


def _package(node_type: str) -> str:
    return node_type.rsplit(".", 1)[0] if "." in node_type else ""


@dataclass
class _BuiltPart:
    """The workflows of some of a folder's files, built (what an xdist worker hands the
    others: :func:`_joined`)."""

    builder: _Builder
    seen: Counter[str]  # the ids the workflows asked for (_wanted_id), how often each
    skipped: list[SkippedFile]
    by_place: bool  # a workflow without id or name, named by its place among the workflows

    @classmethod
    def of(cls, folder: Path, files: list[Path], repeated_ids: set[str]) -> _BuiltPart:
        builder, seen, skipped = _Builder(), Counter[str](), []
        builder.repeated_ids = repeated_ids
        by_place = False
        for index, wf in enumerate(_folder_workflows(folder, files, skipped)):
            seen[_wanted_id(wf, index)] += 1
            by_place = by_place or (wf.get("id") in (None, "") and not wf.get("name"))
            builder.add_workflow(wf, index)
        builder.done_adding()
        return cls(builder, seen, skipped, by_place)


def _joined(parts: list[_BuiltPart]) -> _BuiltPart | None:
    """The parts, built apart from consecutive runs of a folder's files, as one part: what
    one pass over all their files builds; None when one pass would have named a workflow or
    step otherwise (its id taken by an earlier part, or its place in the folder its name)."""
    if not parts or any(part.by_place for part in parts):
        return None
    first, *rest = parts
    seen, skipped = Counter(first.seen), list(first.skipped)
    for part in rest:
        if not first.builder.absorb(part.builder):
            return None
        seen.update(part.seen)
        skipped.extend(part.skipped)
    return _BuiltPart(first.builder, seen, skipped, False)


def stranded_steps(nodes: list[tuple[dict[str, Any], str, str]],
                   connections: Mapping[str, Any]) -> set[str]:
    """Step ids of the nodes of an intactly wired workflow (some links, none pointing at a
    missing node) that nothing is wired into and that start nothing themselves: not a
    trigger, and not a sub-node an agent calls (a tool, model or memory has only outgoing
    ``ai_*`` links). n8n runs a node only when a connection hands it items, so such a node,
    and all that only it feeds, never runs in production (a stray copy left on the canvas,
    a branch whose first step was unplugged). Two shapes run all the same, so they are kept:
    a branch that joins a node with several inputs (a Merge, a Compare Datasets: n8n's
    legacy order runs the parents of an input still waiting), and an agent with sub-nodes
    (an AI cluster set beside the call of the sub-workflow that holds it, as its copy). A
    workflow whose wiring is incomplete (a collection's edited export) is not judged: its
    missing links may be the feeding ones."""
    if not links_any(connections):
        return set()
    fed: set[str] = set()
    joins: set[str] = set()  # nodes a connection enters at their second input or later
    main: dict[str, set[str]] = {}
    for source, kinds in connections.items():
        if not isinstance(kinds, dict):
            continue
        for kind, outputs in kinds.items():
            conns = [conn for output in outputs or () if isinstance(output, list)
                     for conn in output if isinstance(conn, dict)
                     and isinstance(conn.get("node"), str)]
            if kind == "main":
                fed.update(conn["node"] for conn in conns)
                main.setdefault(source, set()).update(conn["node"] for conn in conns)
                joins.update(conn["node"] for conn in conns
                             if isinstance(conn.get("index"), int) and conn["index"] > 0)
            elif conns:
                fed.add(source)  # a sub-node runs when its agent calls it
                fed.update(conn["node"] for conn in conns)  # an AI cluster's root

    def joins_later(name: str) -> bool:
        seen, todo = {name}, [name]
        while todo:
            for nxt in main.get(todo.pop(), ()):
                if nxt in joins:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    return {step_id for node, _node_id, step_id in nodes
            if node["name"] not in fed and not may_start(str(node.get("type") or ""))
            and not joins_later(node["name"])}


def may_start(node_type: str) -> bool:
    """Can a node of this type run with nothing wired into it (a trigger, a schedule, a
    called workflow's trigger, documentation)? Unknown types ending in ``Trigger`` are
    taken for triggers, as n8n names them."""
    return node_type in SCHEDULES or node_type in ENTRY_TRIGGERS or node_type in \
        UNTRUSTED_TRIGGERS or node_type in CALLED_TRIGGERS or node_type == NOTE or \
        node_type.endswith(("Trigger", "trigger")) or not node_type


def links_any(connections: Mapping[str, Any]) -> bool:
    """Does a workflow's ``connections`` join any two nodes? The editor leaves an output's
    empty lists behind when its last link is deleted (``{"Get source": {"ai_tool": [[]]}}``):
    that is no wiring, as ``{}`` is not."""
    return any(isinstance(target, dict) for outputs in connections.values()
               if isinstance(outputs, dict) for lists in outputs.values()
               if isinstance(lists, list) for targets in lists if isinstance(targets, list)
               for target in targets)


def _wanted_id(wf: Mapping[str, Any], index: int) -> str:
    raw_id, name = wf.get("id"), wf.get("name") or ""
    return str(raw_id) if raw_id not in (None, "") else (name or f"workflow-{index + 1}")


def _content_tag(wf: Mapping[str, Any]) -> str:
    """``~`` and 6 hex of a workflow's content: tells apart workflows that share an id (copies
    in a backup folder, edited collections) the same way whatever order they were read in."""
    text = json.dumps(wf, sort_keys=True, default=str, ensure_ascii=False)
    return "~" + hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:6]


def _shared_json(value: Any, table: dict[Any, Any]) -> Any:
    """``value`` (parsed JSON) with each text, object and array the one object ``table``
    holds for all that are equal to it, key order included. Every file is parsed apart, so
    the same option names, operators, expressions and whole option objects (``{"options":
    {}}``, a default condition block) are new objects in each; the model holds the steps'
    parameters for the whole run (on 2,000 generated workflows 60 % of their objects and
    arrays repeat another's, on the real corpus half: the model's heap 61.8 -> 49.0 MB).
    Nothing changes them once built: they are read-only to the checks (``Step.params``).

    An object or array is told apart by its items' identities (:func:`_identity`), theirs
    being shared first, so equal ones are found without comparing their contents again."""
    kind = type(value)
    if kind is str:
        return table.setdefault(value, value)
    if kind is not dict and kind is not list:
        return value
    ident: list[Any] = [kind]
    for k, v in value.items() if kind is dict else enumerate(value):
        t = type(v)
        if t is str:
            shared = table.setdefault(v, v)
            i: Any = shared
        elif t is dict or t is list:
            shared = _shared_json(v, table)
            i = id(shared)
        else:
            shared, i = v, (t, v) if v is not None else None
        if shared is not v:
            value[k] = shared
        if kind is dict:
            ident.append(k)
        ident.append(i)
    key = tuple(ident)
    kept = table.get(key)
    if kept is None:  # the first of its kind: its keys are the texts kept too
        kept = table[key] = value if kind is list else \
            {table.setdefault(k, k): v for k, v in value.items()}
    return kept


class _Builder:
    """Collects the model's parts in one pass over the workflows (linear in nodes + wires)."""

    def __init__(self) -> None:
        self.workflows: list[Workflow] = []
        self.steps: list[Step] = []
        self.entry_points: list[EntryPoint] = []
        self.destinations: list[Destination] = []
        self.stores: list[DataStore] = []
        # (step, path) of the files commands print back (cat, <): kept where the app writes them
        self.command_reads: set[tuple[str, str]] = set()
        self.stand_ins: dict[str, str] = {}  # No Operation step → the type its note names
        self.broken_links: list[BrokenLink] = []
        # workflows an instance wrote whose connections hold only empty lists: no link left
        self.emptied: set[str] = set()
        self.repeated_ids: set[str] = set()  # workflow ids more than one workflow has
        self._workflow_ids: set[str] = set()
        self._step_ids: set[str] = set()
        self._types: dict[str, list[str]] = {}
        self._creds: dict[str, tuple[str, str, list[str]]] = {}  # id → (name, type, users)
        self.flows = N8nFlows()
        self._raw_ids: dict[str, str] = {}  # the workflow id as exported → its model id
        # one object for each text, JSON object and array the steps repeat (_shared_json)
        self._strings: dict[Any, Any] = {}

    def _shared(self, text: str) -> str:
        return self._strings.setdefault(text, text)

    def _read_only(self, params: dict[str, Any]) -> Mapping[str, Any]:
        """One read-only view for each shared parameters object (:func:`_shared_json`)."""
        key = (MappingProxyType, id(params))
        view = self._strings.get(key)
        if view is None:
            view = self._strings[key] = MappingProxyType(params)
        return view  # type: ignore[no-any-return]

    @staticmethod
    def _unique(wanted: str, used: set[str], suffix: str) -> str:
        ident, n = wanted, 1
        if ident in used:
            ident = f"{wanted}{suffix}"
            while ident in used:
                n += 1
                ident = f"{wanted}{suffix}#{n}"
        used.add(ident)
        return ident

    def add_workflow(self, wf: dict[str, Any], index: int) -> None:
        name = wf.get("name") or ""
        wanted = _wanted_id(wf, index)
        if wanted in self.repeated_ids:
            wanted += _content_tag(wf)
        wid = self._unique(wanted, self._workflow_ids, "")
        archived = wf.get("isArchived") is True
        active = wf.get("active")
        graph, version = version_that_runs(wf)
        workflow = Workflow(
            id=wid, name=name, path=f"workflows/{wid}", active=active, disabled=archived,
            settings=MappingProxyType(_shared_json(wf.get("settings") or {}, self._strings)),
            tags=tuple(t if isinstance(t, str) else t["name"] for t in wf.get("tags") or ()),
            kind="workflow", version=version,
            draft_changes=draft_changes(wf) if graph is not wf else (),
            updated=_text(wf.get("updatedAt")), downloaded=downloaded_from_instance(wf),
            event_triggers=() if archived else event_triggers(graph.get("nodes") or ()))
        self.workflows.append(workflow)
        if wf.get("id") not in (None, ""):
            self._raw_ids.setdefault(str(wf["id"]), wid)
        live: bool | None = False if archived else active
        wf = graph  # the nodes and connections that run

        by_name: dict[str, str] = {}
        nodes: list[tuple[dict[str, Any], str, str]] = []
        for node in wf["nodes"]:
            node_id = str(node["id"]) if node.get("id") not in (None, "") else node["name"]
            step_id = self._unique(node_id, self._step_ids, f"@{wid}")
            by_name.setdefault(node["name"], step_id)
            nodes.append((node, node_id, step_id))

        connections = wf["connections"]
        if not links_any(connections) and (workflow.updated or workflow.downloaded):
            self.flows.unwired.add(wid)
            if connections:  # the editor's empty lists, where a collection's edit leaves {}
                self.emptied.add(wid)
        broken_before = len(self.broken_links)
        self._broken_links(wid, connections, by_name)
        if len(self.broken_links) == broken_before:
            self.flows.stranded |= stranded_steps(nodes, connections)
        self.flows.answers.update(answering_steps(wf["nodes"], connections, by_name))
        self.flows.loops.update(loop_targets(wf["nodes"], connections, by_name))
        # AI connections point from the sub-node (tool, model, memory) to the agent, but the
        # agent calls the tool with data it received: the taint flows both ways.
        called_by_agent: dict[str, list[str]] = {}
        for node, _node_id, step_id in nodes:
            for kind, outputs in (connections.get(node["name"]) or {}).items():
                if kind == "main":
                    continue
                for output in outputs or ():
                    for conn in output or ():
                        agent = by_name.get(conn["node"])
                        if agent is not None:
                            called_by_agent.setdefault(agent, []).append(step_id)
        for node, node_id, step_id in nodes:
            node_type = self._shared(node["type"])
            params: dict[str, Any] = _shared_json(node.get("parameters") or {},
                                                  self._strings)
            outbound: dict[str, None] = {}
            for outputs in (connections.get(node["name"]) or {}).values():
                for output in outputs or ():
                    for conn in output or ():
                        target = by_name.get(conn["node"])
                        if target is not None:
                            outbound[target] = None
            for tool in called_by_agent.get(step_id, ()):
                outbound[tool] = None
            main = (connections.get(node["name"]) or {}).get("main") or ()
            branches = tuple(tuple(t for conn in output or () if (t := by_name.get(conn["node"])))
                             for output in main) if len(main) > 1 else ()
            if node_type == BASE + "noOp" and isinstance(node.get("notes"), str) and (
                    stand_in := STAND_IN_NOTE.match(node["notes"])):
                self.stand_ins[step_id] = stand_in.group(1)  # a collection's replacement
            cred_refs = self._credential_refs(node.get("credentials") or {}, step_id)
            # an archived workflow's nodes are off like a disabled Node-RED tab's: n8n runs
            # none of them until the workflow is restored (and then activated)
            disabled = node.get("disabled") is True or archived
            self.steps.append(Step(
                id=step_id, name=self._shared(node["name"]), type=node_type, workflow_id=wid,
                path=f"workflows/{wid}/{node_id}", package=self._shared(_package(node_type)),
                params=self._read_only(params), outbound=tuple(outbound), branches=branches,
                credential_refs=cred_refs, disabled=disabled,
                native_id=node_id if step_id != node_id else ""))
            self._types.setdefault(node_type, []).append(step_id)
            self._describe(node, wid, step_id)
            if not disabled:
                self._roles(STAND_IN_TRIGGERS.get(self.stand_ins.get(step_id, ""), node_type),
                            node, params, step_id, live)

    def done_adding(self) -> None:
        """Let go of the table of shared texts and objects (:func:`_shared_json`): only adding
        workflows uses it, and a part handed to another process is pickled without it."""
        self._strings = {}

    def absorb(self, later: _Builder) -> bool:
        """Take the workflows ``later`` built alone, from the files after this builder's, as
        if this builder had gone on to build them; False, taking nothing, if one pass would
        have named any of them otherwise. That is only when an id ``later`` gave is one this
        builder gave: every id ``later`` tried for a workflow or step before the one it
        kept is one of its own (:meth:`_unique`), so with none of them taken here, one pass
        tries and keeps the same ones."""
        if self._workflow_ids & later._workflow_ids or self._step_ids & later._step_ids \
                or self.repeated_ids or later.repeated_ids:
            return False
        self.workflows += later.workflows
        self.steps += later.steps
        self.entry_points += later.entry_points
        self.destinations += later.destinations
        self.stores += later.stores
        self.command_reads |= later.command_reads
        self.stand_ins.update(later.stand_ins)
        self.broken_links += later.broken_links
        self.emptied |= later.emptied
        self._workflow_ids |= later._workflow_ids
        self._step_ids |= later._step_ids
        for node_type, users in later._types.items():
            self._types.setdefault(node_type, []).extend(users)
        for cid, (name, ctype, users) in later._creds.items():
            self._creds.setdefault(cid, (name, ctype, []))[2].extend(users)
        for raw_id, wid in later._raw_ids.items():
            self._raw_ids.setdefault(raw_id, wid)
        flows, more = self.flows, later.flows
        flows.versions.update(more.versions)
        flows.names.update(more.names)
        flows.answers.update(more.answers)
        flows.loops.update(more.loops)
        flows.model_calls |= more.model_calls
        flows.unwired |= more.unwired
        flows.stranded |= more.stranded
        return True

    def _describe(self, node: Mapping[str, Any], wid: str, step_id: str) -> None:
        """What the flow description needs: the node's version and name (``$('Name')``)."""
        version = node.get("typeVersion")
        if isinstance(version, (int, float)) and not isinstance(version, bool):
            self.flows.versions[step_id] = float(version)
        self.flows.names.setdefault(wid, {}).setdefault(node["name"], step_id)

    def link_called_workflows(self) -> None:
        """Edges from Execute Workflow (and the AI workflow tool) to the Execute Workflow
        Trigger of the workflow it calls, when that workflow is in this app; and the stores
        and senders the flow description asks about."""
        self._type_table_columns()
        written = {st.location for st in self.stores if st.kind == "file"
                   and st.operation == "write"}
        self.stores = [st for st in self.stores if st.location in written
                       or (st.step_id, st.location) not in self.command_reads]
        self.flows.stores = {st.step_id: st for st in self.stores}
        self.flows.senders = {d.step_id for d in self.destinations}
        self.flows.computed_targets = {d.step_id for d in self.destinations
                                       if d.dynamic and d.protocol != "mail"}
        for step in self.steps:  # If / Switch → the steps their branches lead to
            if step.type in BRANCHES and not step.disabled:
                for target in step.outbound:
                    self.flows.branches.setdefault(target, []).append(step)
        triggers: dict[str, list[str]] = {}
        for step in self.steps:
            if step.type in CALLED_TRIGGERS and not step.disabled:
                triggers.setdefault(step.workflow_id, []).append(step.id)
        for i, step in enumerate(self.steps):
            if step.type not in CALLERS:
                continue
            source = _text(step.params.get("source")) or "database"
            called = _text(step.params.get("workflowId"))
            wid = self._raw_ids.get(called) if source == "database" else None
            targets = [t for t in triggers.get(wid or "", ()) if t not in step.outbound]
            if triggers.get(wid or ""):
                self.flows.linked_callers.add(step.id)
            if targets:
                self.steps[i] = replace(step, outbound=(*step.outbound, *targets))

    def _type_table_columns(self) -> None:
        """Mark on each database store the columns the app's own ``CREATE TABLE`` types as
        numbers, booleans, times or uuids (in every statement that creates that table): the
        database keeps nothing else there, whatever a writer put in the other columns."""
        typed: dict[str, set[str]] = {}
        untyped: dict[str, set[str]] = {}
        for step in self.steps:
            for key in ("query", "sql"):
                query = step.params.get(key)
                if isinstance(query, str) and "create" in query.lower():
                    for table, column, is_typed in declared_columns(query):
                        (typed if is_typed else untyped).setdefault(table, set()).add(column)
        if not typed:
            return
        columns = {t: tuple(sorted(cols - untyped.get(t, set()))) for t, cols in typed.items()}
        self.stores = [replace(st, typed_columns=columns[key]) if st.kind == "database"
                       and (key := table_key(st.location)) in columns else st
                       for st in self.stores]

    def described(self, flows: Sequence[StepFlow]) -> Callable[[Step], StepFlow]:
        """``flows.describe`` of a step, given ``flows``, the descriptions of every step in
        order (made elsewhere: :data:`~pytest_nocode.platforms.ShareSteps`); a step that is
        not one of this builder's is described here."""
        by_id = {step.id: (step, flow) for step, flow in zip(self.steps, flows, strict=True)}

        def flow_of(step: Step) -> StepFlow:
            kept = by_id.get(step.id)
            return kept[1] if kept is not None and kept[0] is step else self.flows.describe(step)

        return flow_of

    def judge_entry_points(self, describe: Callable[[Step], StepFlow] | None = None) -> None:
        """What a call to each entry point can do (see :mod:`.n8n_entries`), once the wiring,
        stores and destinations of every workflow are known; each step it needs described by
        ``describe`` (default: described here, kept for the data flow)."""
        links: dict[str, list[BrokenLink]] = {}
        for link in self.broken_links:
            links.setdefault(link.workflow_id, []).append(link)
        node_ids: dict[str, dict[str, str]] = {}  # workflow → its nodes' own ids → step ids
        for step in self.steps:
            node_ids.setdefault(step.workflow_id, {})[step.native_id or step.id] = step.id
        unfollowed = {node_ids[wid][link.source] for wid, ls in links.items()
                      if name_node_ids(ls, node_ids.get(wid, {})) for link in ls}
        effects = EntryEffects(self.steps, describe or self.flows.describe_judged,
                               self.destinations, self.stores, set(links), self.stand_ins,
                               unfollowed, self.flows.versions, self.emptied)
        by_id = {s.id: s for s in self.steps}
        self.entry_points = [replace(ep, effect=effect, effect_reason=reason)
                             for ep in self.entry_points
                             for effect, reason in (effects.of(by_id[ep.step_id]),)]

    def _broken_links(self, wid: str, connections: Mapping[str, Any],
                      by_name: Mapping[str, str]) -> None:
        """Connections whose sending or receiving node name is not in the workflow."""
        for source, kinds in connections.items():
            sender = by_name.get(source)
            for outputs in kinds.values():
                for output in outputs or ():
                    for conn in output or ():
                        receiver = by_name.get(conn["node"])
                        if sender is None:
                            self.broken_links.append(BrokenLink(
                                wid, source, receiver or conn["node"], "source", "connection"))
                        elif receiver is None:
                            self.broken_links.append(BrokenLink(
                                wid, sender, conn["node"], "target", "connection"))

    def _credential_refs(self, creds: Mapping[str, Any], step_id: str) -> tuple[str, ...]:
        refs: list[str] = []
        for ctype, ref in creds.items():
            if isinstance(ref, str):  # old exports name the credential only
                cid, cname = ref, ref
            else:
                cname = _text(ref.get("name"))
                cid = _text(ref.get("id")) or cname
            if not cid:
                continue
            entry = self._creds.setdefault(cid, (cname, ctype, []))
            entry[2].append(step_id)
            refs.append(cid)
        return tuple(dict.fromkeys(refs))

    def _roles(self, node_type: str, node: dict[str, Any], params: dict[str, Any],
               step_id: str, live: bool | None) -> None:
        """Entry point, destination or data store the node stands for, if any."""
        handler = ROLES.get(node_type)
        if handler is None and node_type.endswith("Tool"):  # the "usable as AI tool" twin
            handler = ROLES.get(node_type[:-4])
        if handler is None and community_sql_key(node_type, params) is not None:
            handler = _community_sql  # a community database node (Firebird, SQLite)
        if handler is not None:
            handler(self, node, params, step_id, live)

    def connectors(self) -> tuple[Connector, ...]:
        return tuple(
            Connector(type=t, package=_package(t), builtin=_package(t) in BUILTIN_PACKAGES,
                      used_by=tuple(users))
            for t, users in sorted(self._types.items()))

    def credentials(self) -> tuple[Credential, ...]:
        return tuple(Credential(cid, name, ctype, tuple(dict.fromkeys(users)))
                     for cid, (name, ctype, users) in self._creds.items())


# -- node roles --------------------------------------------------------------------------------
# Triggers a collection replaced by a No Operation node whose note names them, keeping their
# parameters (an MCP server trigger's path): still the way in they were, with the same shape.
# (A chat trigger stand-in is left out: without its ``public`` option it is the editor's chat.)
STAND_IN_TRIGGERS = {"mcpTrigger": LANGCHAIN + "mcpTrigger"}
Role = Callable[[_Builder, dict[str, Any], dict[str, Any], str, bool | None], None]


def _route(params: Mapping[str, Any], node: Mapping[str, Any]) -> str:
    return _text(params.get("path")) or _text(node.get("webhookId"))


def _webhook(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
             live: bool | None) -> None:
    method = params.get("httpMethod")
    if isinstance(method, list):  # "multipleMethods": true
        methods = tuple(str(m) for m in method)
    elif params.get("multipleMethods") is True and method is None:
        methods = ("GET", "POST")  # the multi-select's default
    else:
        methods = (_text(method) or "GET",)
    b.entry_points.append(EntryPoint(step_id, "webhook", _route(params, node), methods,
                                     _auth(params.get("authentication")), live))


def _form_trigger(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                  live: bool | None) -> None:
    b.entry_points.append(EntryPoint(step_id, "form", _route(params, node), ("GET", "POST"),
                                     _auth(params.get("authentication")), live))


def _chat_trigger(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                  live: bool | None) -> None:
    # Not public: only the editor's chat for logged-in n8n users reaches it.
    auth = _auth(params.get("authentication")) if params.get("public") is True else "instance"
    route = f"{_text(node.get('webhookId'))}/chat"
    b.entry_points.append(EntryPoint(step_id, "webhook", route, ("GET", "POST"), auth, live))


def _mcp_trigger(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                 live: bool | None) -> None:
    b.entry_points.append(EntryPoint(step_id, "webhook", _route(params, node), ("GET", "POST"),
                                     _auth(params.get("authentication")), live))


def _telegram_trigger(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                      live: bool | None) -> None:
    """A Telegram bot takes messages from anyone on Telegram unless it names the chats or
    users it answers (``additionalFields.chatIds`` / ``userIds``, comma-separated)."""
    extra = params.get("additionalFields")
    extra = extra if isinstance(extra, dict) else {}
    allowed = any(_text(extra.get(key)).strip() for key in ("chatIds", "userIds"))
    creds = node.get("credentials") or {}
    ref = creds.get("telegramApi") if isinstance(creds, dict) else None
    bot = ref if isinstance(ref, str) else _text(ref.get("name")) if isinstance(ref, dict) else ""
    b.entry_points.append(EntryPoint(step_id, "chat", f"telegram bot {bot}".strip(),
                                     (), "allowlist" if allowed else "none", live))


def _wait(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
          live: bool | None) -> None:
    """A Wait node resumed by a call to ``$execution.resumeUrl`` is a way in while waiting."""
    resume = params.get("resume")
    if resume not in ("webhook", "form"):
        return
    suffix = _text(_options(params).get("webhookSuffix"))
    methods: tuple[str, ...]
    if resume == "form":
        kind, methods = "form", ("GET", "POST")
    else:
        kind, methods = "webhook", (_text(params.get("httpMethod")) or "GET",)
    route = f"{kind}-waiting/<execution id>" + (f"/{suffix}" if suffix else "")
    b.entry_points.append(EntryPoint(step_id, kind, route, methods,
                                     _auth(params.get("incomingAuthentication")), live))


def _url_target(value: Any) -> tuple[str, str, str, int | None, bool]:
    """(url as shown, scheme, host, port, dynamic) of a URL parameter.

    ``=…`` is an n8n expression: the host is known only if the text before the first
    ``{{`` already closes the authority (``=https://api.x.com/{{ $json.id }}``).
    """
    text = value if isinstance(value, str) else ""
    if not text.startswith("="):
        scheme, host, port, _ = split_url(text)
        return strip_userinfo(text), scheme, host, port, False
    expr = text[1:]
    shown = "=" + strip_userinfo(expr)
    cut = expr.find("{{")
    if cut < 0:  # expression mode holding a literal
        scheme, host, port, _ = split_url(expr)
        return shown, scheme, host, port, False
    prefix = expr[:cut].strip() or _leading_literal(expr[cut + 2:])
    sep = prefix.find("://")
    if sep < 0:
        return shown, "", "", None, True
    scheme = prefix[:sep].lower()
    rest = prefix[sep + 3:]
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=-1)
    if end < 0:
        return shown, scheme, "", None, True
    _, host, port, _ = split_url(prefix[:sep + 3 + end])
    return shown, scheme, host, port, not host


_LEADING_LITERAL = re.compile(r"""\s*(?:'(?P<single>[^'\\]*)'|"(?P<double>[^"\\]*)"|"""
                              r"""`(?P<backtick>[^`$\\]*))""")


def _leading_literal(inside: str) -> str:
    """The text a JavaScript expression inside ``{{ }}`` starts with when it starts with a
    string literal (``'http://10.0.0.5:8080/api/' + $json.id``, a template literal up to its
    first ``${``): the fixed start of the URL it builds, "" otherwise."""
    m = _LEADING_LITERAL.match(inside)
    if m is None:
        return ""
    return next((g for g in m.groups() if g is not None), "")


# The options by which an n8n node accepts any certificate: "Ignore SSL Issues" is
# ``allowUnauthorizedCerts`` on HTTP Request, GraphQL, the IMAP trigger and Send Email, and
# ``ignoreSSL`` on RSS Feed Read.
TLS_OFF_OPTIONS = ("allowUnauthorizedCerts", "ignoreSSL")


def _skips_cert_checks(params: Mapping[str, Any]) -> bool:
    """Is one of :data:`TLS_OFF_OPTIONS` on, top-level (HTTP Request before v3) or in
    ``options`` (everywhere since)? The node then accepts any certificate."""
    options = _options(params)
    return any(options.get(k) is True or params.get(k) is True for k in TLS_OFF_OPTIONS)


def _http_request(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                  live: bool | None, url_key: str = "url") -> None:
    url, scheme, host, port, dynamic = _url_target(params.get(url_key))
    b.destinations.append(Destination(
        step_id, scheme, url=url, host=host, port=port,
        tls=(scheme == "https") if scheme else None,
        verify_cert=not _skips_cert_checks(params), dynamic=dynamic))
    method = _text(params.get("method") or params.get("requestMethod")).upper() or "GET"
    target = INSTANCE_API_PATH.match(_url_path(url)) if not dynamic else None
    if target and method == "GET" and _calls_own_instance(params, host, port):
        _instance_read(b, step_id, target.group("what"), "n8n API")
    elif method == "GET" and url_key == "url" and _authenticated(node, params):
        collection = _record_collection(url)
        if collection:  # GET /api/v4/leads with a key: the service's records, read
            b.stores.append(DataStore(step_id, "api", f"{collection} of {_shown_host(url)}",
                                      "read"))
    model = bool(host) and (is_model_api(host, _url_path(url))
                            or is_self_hosted_model(host, port, _url_path(url)))
    if model:
        b.flows.model_calls.add(step_id)  # Claude, GPT or Ollama called by hand: a model step
    elif target is None and url_key == "url" and _own_service_answer(params, host, dynamic):
        b.stores.append(DataStore(step_id, OWN_SERVICE, f"answer of {_shown_host(url)}", "read"))


def _own_service_answer(params: Mapping[str, Any], host: str, dynamic: bool) -> bool:
    """Is the request a fixed call to a service on the app's own host (loopback, the docker
    host, a compose service): every parameter typed in, no expression? What such a service
    answers is the owner's own data, as a local command's output is: a store the app reads
    (known, not outside text, for the injection checks; still data when it is served or sent
    on). A request that passes values in may have them echoed back: its answer stays of
    unknown origin."""
    if dynamic or not host or default_zone(host) not in ("loopback", "host"):
        return False
    return not _has_expression(params)


def _has_expression(value: Any) -> bool:
    if isinstance(value, str):
        return value.startswith("=") or "{{" in value
    if isinstance(value, Mapping):
        return any(_has_expression(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_expression(v) for v in value)
    return False


def _graphql(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
             live: bool | None) -> None:
    _http_request(b, node, params, step_id, live, url_key="endpoint")


def _mcp_client(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                live: bool | None) -> None:
    """An MCP client calls the server at its endpoint (``endpointUrl``; ``sseEndpoint`` before
    v1.1) with its credential, as a request node calls its URL."""
    url, scheme, host, port, dynamic = _url_target(
        params.get("endpointUrl") if "endpointUrl" in params else params.get("sseEndpoint"))
    b.destinations.append(Destination(
        step_id, scheme, url=url, host=host, port=port,
        tls=(scheme == "https") if scheme else None, dynamic=dynamic))


def _feed_read(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
               live: bool | None) -> None:
    """RSS Feed Read fetches the feed at ``url`` (a GET, as a request node's)."""
    url, scheme, host, port, dynamic = _url_target(params.get("url"))
    b.destinations.append(Destination(
        step_id, scheme, url=url, host=host, port=port,
        tls=(scheme == "https") if scheme else None,
        verify_cert=not _skips_cert_checks(params), dynamic=dynamic))


def _ftp(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
         live: bool | None) -> None:
    # The server lives in the credential, which exports never show.
    protocol = "sftp" if params.get("protocol") == "sftp" else "ftp"
    b.destinations.append(Destination(step_id, protocol, tls=protocol == "sftp"))


def _ssh(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
         live: bool | None) -> None:
    b.destinations.append(Destination(step_id, "ssh", tls=True))  # encrypted, host in cred


def _upload(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
            live: bool | None) -> None:
    node_type = _text(node.get("type")).removesuffix("Tool")
    if upload_operation(node_type, params):
        host = UPLOADS[node_type][0]
        b.destinations.append(Destination(step_id, "https", url=f"https://{host}", host=host,
                                          tls=True))
    elif node_type in CLOUD_DRIVES and _text(params.get("resource")) in ("", "file") \
            and _text(params.get("operation")) == "download":
        # one of the owner's files downloaded from their drive or bucket: a read of it, kept
        # in the item's binary (what a mail attaches or an upload sends), not in its fields
        what = _first(params, ("fileId", "path", "fileKey", "fileName")) or _text(node.get("name"))
        b.stores.append(DataStore(step_id, DRIVE_FILE, f"{node_type.rsplit('.', 1)[-1]} {what}",
                                  "read"))


# Cloud drives and buckets whose "download" operation reads one of the owner's files.
CLOUD_DRIVES = frozenset({BASE + "googleDrive", BASE + "dropbox", BASE + "microsoftOneDrive",
                          BASE + "awsS3"})


# AI model nodes and the provider each sends its prompts to (an OpenAI-compatible node's
# options.baseURL names another: a local server, a router).
MODEL_PROVIDERS = {
    **dict.fromkeys((LANGCHAIN + "lmChatOpenAi", LANGCHAIN + "lmOpenAi", LANGCHAIN + "openAi",
                     LANGCHAIN + "embeddingsOpenAi", BASE + "openAi"), "api.openai.com"),
    **dict.fromkeys((LANGCHAIN + "lmChatAnthropic", LANGCHAIN + "anthropic"),
                    "api.anthropic.com"),
    **dict.fromkeys((LANGCHAIN + "lmChatGoogleGemini", LANGCHAIN + "googleGemini",
                     LANGCHAIN + "embeddingsGoogleGemini"), "generativelanguage.googleapis.com"),
    LANGCHAIN + "lmChatMistralCloud": "api.mistral.ai",
    LANGCHAIN + "lmChatGroq": "api.groq.com",
    LANGCHAIN + "lmChatOpenRouter": "openrouter.ai",
    LANGCHAIN + "lmChatDeepSeek": "api.deepseek.com",
    LANGCHAIN + "lmChatXAiGrok": "api.x.ai",
}


def _model_provider(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                    live: bool | None) -> None:
    """An AI model node sends what it is prompted with to its provider."""
    base_url = _options(params).get("baseURL")
    if base_url:
        _http_request(b, node, {"url": base_url}, step_id, live)
        return
    host = MODEL_PROVIDERS[_text(node.get("type")).removesuffix("Tool")]
    b.destinations.append(Destination(step_id, "https", url=f"https://{host}", host=host,
                                      tls=True))


def _email_send(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                live: bool | None) -> None:
    # server and TLS in the credential; the node says whether the certificate is checked
    b.destinations.append(Destination(step_id, "smtp",
                                      verify_cert=not _skips_cert_checks(params)))
    _mail_recipients(b, params, step_id, "toEmail")


def _imap_read(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
               live: bool | None) -> None:
    """The IMAP trigger logs in to the mail server its credential names: a connection whose
    certificate the node may tell n8n not to check."""
    b.destinations.append(Destination(step_id, "imap",
                                      verify_cert=not _skips_cert_checks(params)))


# Mail nodes that send (operation → the parameter naming the recipients; "" for a reply,
# which goes to whoever wrote the message answered).
MAIL_SENDS: dict[str, dict[str, str]] = {
    BASE + "gmail": {"send": "sendTo", "reply": ""},
    BASE + "microsoftOutlook": {"send": "toRecipients", "reply": "", "forward": "recipients"},
}
# Domains whose addresses belong to anyone: sharing one with the sender says nothing.
MAIL_PROVIDERS = frozenset({"gmail.com", "googlemail.com", "outlook.com", "hotmail.com",
                            "live.com", "yahoo.com", "icloud.com", "me.com", "aol.com",
                            "proton.me", "protonmail.com", "gmx.com", "gmx.de", "web.de",
                            "mail.ru", "yandex.ru", "qq.com", "163.com"})
_ADDRESS = re.compile(r"[\w.+'-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def _mail_send(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
               live: bool | None) -> None:
    """A mail node's recipients as destinations (resource message; Gmail's default operation
    is send)."""
    if _text(params.get("resource") or "message") != "message":
        return
    node_type = _text(node.get("type")).removesuffix("Tool")
    op = _text(params.get("operation")) or ("send" if node_type == BASE + "gmail" else "")
    ops = MAIL_SENDS.get(node_type, {})
    if op not in ops:
        return
    if ops[op]:
        _mail_recipients(b, params, step_id, ops[op])
    else:
        b.destinations.append(Destination(step_id, "mail", url=REPLY_TO_SENDER, dynamic=True))


# Nodes that read the owner's own mailbox or calendar (type → (resource → what its records are,
# the default resource)): a get or getAll there reads the account's records as a store read
# does, so an open endpoint that answers with them serves them (EXP002).
ACCOUNT_READS: dict[str, tuple[dict[str, str], str]] = {
    BASE + "gmail": ({"message": "messages", "thread": "threads", "draft": "drafts"},
                     "message"),
    BASE + "microsoftOutlook": ({"message": "messages", "draft": "drafts"}, "message"),
    BASE + "googleCalendar": ({"event": "events"}, "event"),
}


def _account_read(b: _Builder, node: dict[str, Any], params: dict[str, Any],
                  step_id: str) -> None:
    """A Gmail, Outlook or Google Calendar get/getAll: the account's records, read."""
    node_type = _text(node.get("type")).removesuffix("Tool")
    resources, default = ACCOUNT_READS.get(node_type, ({}, ""))
    what = resources.get(_text(params.get("resource")) or default)
    if what and _text(params.get("operation")) in ("get", "getAll"):
        service = node_type.rsplit(".", 1)[-1]
        b.stores.append(DataStore(step_id, "api", f"{what} of {service}", "read"))


def _mail_or_account(b: _Builder, node: dict[str, Any], params: dict[str, Any],
                     step_id: str, live: bool | None) -> None:
    _mail_send(b, node, params, step_id, live)
    _account_read(b, node, params, step_id)


def _calendar(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
              live: bool | None) -> None:
    _account_read(b, node, params, step_id)


def _mail_recipients(b: _Builder, params: Mapping[str, Any], step_id: str, key: str) -> None:
    """One ``mail`` destination per recipient domain written in ``key`` (host: the domain, so
    trust zones and hosts.internal say whether it is the organisation's own), and one computed
    at run time for an address given by an expression."""
    text = _text(params.get(key))
    literal = text.split("{{", 1)[0].lstrip("=") if text.startswith("=") else text
    domains = dict.fromkeys(m.group(1).lower() for m in _ADDRESS.finditer(literal))
    own = _ADDRESS.search(_text(params.get("fromEmail")))
    for domain in domains:
        if own and own.group(1).lower() == domain and domain not in MAIL_PROVIDERS:
            continue  # to the sender's own organisation (info@x.com to info@x.com)
        address = next(m.group(0) for m in _ADDRESS.finditer(literal)
                       if m.group(1).lower() == domain)
        b.destinations.append(Destination(step_id, "mail", url=f"mailto:{address}",
                                          host=domain))
    if text.startswith("=") and "{{" in text:
        b.destinations.append(Destination(step_id, "mail", url=text, dynamic=True))


def _operation(params: Mapping[str, Any], default: str = "") -> str:
    """n8n's operation in the model's words (read | write | query), else verbatim."""
    op = _text(params.get("operation")) or default
    if op in QUERY_OPS:
        return "query"
    if op in READ_OPS:
        return "read"
    if op in WRITE_OPS:
        return "write"
    return op


def _first(params: Mapping[str, Any], keys: Iterable[str]) -> str:
    for key in keys:
        text = _text(params.get(key))
        if text:
            return text
    return ""


# n8n reading its own configuration back: the public API (or the editor's /rest API) of an
# instance, the n8n node, and the CLI's export commands. What they return is a store of the
# instance itself, with what it holds by nature (see dataflow.CREDENTIALS).
INSTANCE_API_PATH = re.compile(r"^/(?:api/v\d+|rest)/(?P<what>workflows|executions)(?:[/?]|$)")
INSTANCE_HOST = re.compile(r"(?:^|[.-])n8n(?:[.-]|$)", re.I)
N8N_API_KEY_HEADER = "x-n8n-api-key"
CLI_EXPORT = re.compile(r"\bn8n\s+export:(?P<what>workflow|credentials)\b")
# the sqlite3 shell on the instance's own database file (~/.n8n/database.sqlite), and the
# tables it holds the workflows, executions and (encrypted) credentials in
INSTANCE_SQLITE = re.compile(r"\bsqlite3\b[^;&|\n]*?\.n8n/database\.sqlite\b")
INSTANCE_TABLES = (("workflow_entity", "workflows"), ("execution_entity", "executions"),
                   ("execution_data", "executions"), ("credentials_entity", "credentials"))
INSTANCE_STORE = "n8n instance"
INSTANCE_HOLDS = {"workflows": (APP_CONFIGURATION,), "executions": (RUN_DATA,)}


def _instance_read(b: _Builder, step_id: str, what: str, how: str) -> None:
    b.stores.append(DataStore(step_id, INSTANCE_STORE, f"{what}, read by {how}", "read",
                              holds=INSTANCE_HOLDS[what]))


def _url_path(url: str) -> str:
    """The path of a URL as configured ("" when it does not parse)."""
    try:
        return urlsplit(url.lstrip("=")).path
    except ValueError:
        return ""


# The last segment of an API path that names a collection of records about people or the
# business (``/api/v4/leads``, ``/v1/customers``, ``/crm/contacts``): a GET of it with the
# service's key reads that service's records, as a CRM or database node would.
RECORD_COLLECTION = re.compile(
    r"/(?P<what>leads|contacts|customers|clients|members|patients|employees|subscribers|"
    r"people|persons|users|orders|deals|invoices|opportunities|applicants|candidates)/?$",
    re.I)
AUTH_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "apikey", "x-auth-token",
                          "x-access-token", "access-token", "token"})


def _record_collection(url: str) -> str:
    """The collection a request URL's fixed path ends in (its query left out), or ""."""
    text = url.lstrip("=").split("?", 1)[0]
    path = text.partition("://")[2].partition("/")[2] if "://" in text else ""
    if not path or "{{" in path:
        return ""
    m = RECORD_COLLECTION.search("/" + path)
    return m.group("what").lower() if m else ""


def _shown_host(url: str) -> str:
    """A request URL's host for a reader: a part filled in at run time as ``*``
    (``*.kommo.com`` for ``https://{{ $vars.SUBDOMAIN }}.kommo.com/…``)."""
    authority = url.lstrip("=").partition("://")[2]
    authority = re.sub(r"\{\{.*?\}\}", "*", authority).split("/", 1)[0]
    return authority.rpartition("@")[2] or "the service its URL names"


def _authenticated(node: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    """Does an HTTP request carry a credential: a node credential or authentication mode,
    or a key header typed in?"""
    if node.get("credentials") or _text(params.get("authentication")) not in ("", "none"):
        return True
    headers = params.get("headerParameters")
    listed = headers.get("parameters") if isinstance(headers, dict) else None
    return any(isinstance(h, dict) and str(h.get("name") or "").strip().lower() in AUTH_HEADERS
               for h in (listed if isinstance(listed, list) else ()))


def _calls_own_instance(params: Mapping[str, Any], host: str, port: int | None) -> bool:
    """Is an HTTP request's target this n8n instance (its API key header or credential, its
    default port, a loopback or compose-service host, or a host named n8n)?"""
    headers = params.get("headerParameters")
    listed = headers.get("parameters") if isinstance(headers, dict) else None
    names = [str(h.get("name") or "").strip().lower()
             for h in (listed if isinstance(listed, list) else ()) if isinstance(h, dict)]
    return (N8N_API_KEY_HEADER in names or params.get("nodeCredentialType") == "n8nApi"
            or port == 5678 or is_loopback_host(host) or (host != "" and "." not in host)
            or INSTANCE_HOST.search(host) is not None)


def _n8n_node(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
              live: bool | None) -> None:
    """The n8n node getting workflows or executions of its own instance (its defaults:
    workflow, get many)."""
    resource = _text(params.get("resource")) or "workflow"
    if resource in ("workflow", "execution") and \
            (_text(params.get("operation")) or "getAll") in ("get", "getAll"):
        _instance_read(b, step_id, f"{resource}s", "n8n node")


def _execute_command(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                     live: bool | None) -> None:
    """``n8n export:workflow`` / ``export:credentials`` run by the node: with ``--decrypted``
    every credential's secrets come out in clear."""
    command = _text(params.get("command"))
    _command_files(b, step_id, command.removeprefix("="))  # (a store named below comes last)
    if INSTANCE_SQLITE.search(command):
        _instance_database_read(b, step_id, command)
    found = CLI_EXPORT.search(command)
    if found is None:
        return
    if found.group("what") == "workflow":
        _instance_read(b, step_id, "workflows", "n8n export:workflow")
        return
    decrypted = "--decrypted" in command
    b.stores.append(DataStore(
        step_id, INSTANCE_STORE,
        f"credentials, {'decrypted' if decrypted else 'encrypted'} by n8n export:credentials",
        "read", holds=(CREDENTIALS,) if decrypted else (f"{CREDENTIALS} (encrypted)",)))


def _command_files(b: _Builder, step_id: str, command: str) -> None:
    """The files on the host a command writes and the ones it reads back (see
    :mod:`pytest_nocode.commandfiles`): a later command's ``cat`` of the file an earlier one
    wrote is given what that one wrote. A file no step of the app writes stays out: what the
    command prints of it is judged as before (the host's own output, or a fetch's)."""
    for path in files_written(command):
        b.stores.append(DataStore(step_id, "file", path, "write", holds=_file_holds("file", path)))
    for path in files_read(command):  # (dropped unless some step writes the file)
        b.stores.append(DataStore(step_id, "file", path, "read", holds=_file_holds("file", path)))
        b.command_reads.add((step_id, path))


def _instance_database_read(b: _Builder, step_id: str, command: str) -> None:
    """A command that reads the instance's own SQLite database: what each table of
    :data:`INSTANCE_TABLES` it names holds, or, dumping the whole file (``.dump``,
    ``.backup``), the workflows and the encrypted credentials in it; one store per step."""
    named = tuple(dict.fromkeys(what for table, what in INSTANCE_TABLES if table in command))
    whole = ("workflows", "credentials") if re.search(r"\.(?:dump|backup)\b", command) else ()
    read = named or whole
    if not read:
        return
    holds = tuple(dict.fromkeys(label for what in read for label in (
        (f"{CREDENTIALS} (encrypted)",) if what == "credentials" else INSTANCE_HOLDS[what])))
    b.stores.append(DataStore(step_id, INSTANCE_STORE, f"{', '.join(read)}, read by sqlite3 "
                              "from the n8n database", "read", holds=holds))


# A file named as a database dump (``news.sql``, ``backup.dump.gz``) holds the database.
_DUMP_FILE = re.compile(r"(?i)\.(?:sql|dump)(?:\.(?:gz|bz2|xz|zip))?$")


def _file_holds(kind: str, location: str) -> tuple[str, ...]:
    """What a file holds by its nature, whatever its words say: a dump, the database."""
    return (DATABASE_DUMP,) if kind == "file" and _DUMP_FILE.search(location.strip()) else ()


def _store(kind: str, keys: tuple[str, ...], default_op: str = "") -> Role:
    def add(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
            live: bool | None) -> None:
        location = _first(params, keys)
        b.stores.append(DataStore(step_id, kind, location, _operation(params, default_op),
                                  holds=_file_holds(kind, location)))
    return add


def _sql_statement(query: str, node_name: str = "") -> tuple[str, str]:
    """(operation, first table) of a hand-written query, best effort: an ``INSERT`` through
    Execute Query writes, it does not serve data. A statement computed whole at run time
    (``={{ $json.sql }}``) shows no verb: the node's name says what it does ("Save message")."""
    text = SQL_COMMENT.sub(" ", query.removeprefix("=")).strip()
    verb = text.split(None, 1)[0].lower() if text else ""
    if text.startswith("{{") and text.endswith("}}") and "}}" not in text[:-2]:
        verb = _write_verb_of(node_name) or verb
    table = SQL_TABLE.search(text)
    return ("write" if verb in SQL_WRITES else "query"), (table.group(1) if table else "")


# what a node named "Save inbound message" or "Upsert lead" does to a table
NAMED_WRITES = {"insert": "insert", "update": "update", "upsert": "upsert", "save": "insert",
                "create": "insert", "delete": "delete", "remove": "delete", "log": "insert",
                "store": "insert", "write": "insert", "record": "insert", "add": "insert",
                "mark": "update", "set": "update"}


def _write_verb_of(node_name: str) -> str:
    """The SQL verb the first word of a node's name stands for, "" when it names no write."""
    words = re.findall(r"[A-Za-z]+", node_name)
    return NAMED_WRITES.get(words[0].lower(), "") if words else ""


def _sql(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
         live: bool | None) -> None:
    operation = _operation(params, "insert")
    if operation == "query":
        query = _text(params.get("query"))
        operation, location = _sql_statement(query, _text(node.get("name")))
        if operation == "query":  # a SELECT over rows its WITH clause writes: it writes too
            for table in dict.fromkeys(SQL_WRITING_CTE.findall(SQL_COMMENT.sub(" ", query))):
                b.stores.append(DataStore(step_id, "database", table, "write"))
    else:
        table = _text(params.get("table"))
        schema = _text(params.get("schema"))
        location = f"{schema}.{table}" if schema and table else table
    b.stores.append(DataStore(step_id, "database", location, operation))


def _community_sql(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
                   live: bool | None) -> None:
    """A community node running the SQL of its parameters: a database, read or written as
    its statement says."""
    key = community_sql_key(_text(node.get("type")), params) or "query"
    operation, location = _sql_statement(_text(params.get(key)), _text(node.get("name")))
    b.stores.append(DataStore(step_id, "database", location, operation))


def _sheet(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
           live: bool | None) -> None:
    doc = _first(params, ("documentId", "sheetId"))
    sheet = _first(params, ("sheetName", "range"))
    location = f"{doc}/{sheet}" if doc and sheet else doc or sheet
    # on a sheet (the default resource), no operation set is n8n's default: Get Row(s)
    default = "read" if _text(params.get("resource")) in ("", "sheet") else ""
    b.stores.append(DataStore(step_id, "sheet", location, _operation(params, default)))


def _fixed_op(kind: str, keys: tuple[str, ...], op: str) -> Role:
    def add(b: _Builder, node: dict[str, Any], params: dict[str, Any], step_id: str,
            live: bool | None) -> None:
        location = _first(params, keys)
        b.stores.append(DataStore(step_id, kind, location, op,
                                  holds=_file_holds(kind, location)))
    return add


FILE_KEYS = ("fileName", "fileSelector", "filePath")
ROLES: dict[str, Role] = {
    BASE + "webhook": _webhook,
    BASE + "formTrigger": _form_trigger,
    LANGCHAIN + "chatTrigger": _chat_trigger,
    LANGCHAIN + "mcpTrigger": _mcp_trigger,
    BASE + "mcpTrigger": _mcp_trigger,
    BASE + "wait": _wait,
    BASE + "telegramTrigger": _telegram_trigger,
    BASE + "httpRequest": _http_request,
    LANGCHAIN + "toolHttpRequest": _http_request,
    BASE + "graphql": _graphql,
    BASE + "rssFeedRead": _feed_read,
    LANGCHAIN + "mcpClientTool": _mcp_client,
    LANGCHAIN + "mcpClient": _mcp_client,
    BASE + "ftp": _ftp,
    BASE + "ssh": _ssh,
    BASE + "emailSend": _email_send,
    BASE + "emailReadImap": _imap_read,
    BASE + "n8n": _n8n_node,
    BASE + "executeCommand": _execute_command,
    **{t: _upload for t in UPLOADS},
    **{t: _model_provider for t in MODEL_PROVIDERS},
    **{t: _mail_or_account for t in MAIL_SENDS},
    BASE + "googleCalendar": _calendar,
    BASE + "mongoDb": _store("database", ("collection",), "find"),
    BASE + "redis": _store("database", ("key",), "info"),
    BASE + "googleSheets": _sheet,
    BASE + "spreadsheetFile": _store("file", FILE_KEYS, "fromFile"),
    BASE + "readWriteFile": _store("file", FILE_KEYS, "read"),
    BASE + "readBinaryFile": _fixed_op("file", FILE_KEYS, "read"),
    BASE + "readBinaryFiles": _fixed_op("file", FILE_KEYS, "read"),
    BASE + "writeBinaryFile": _fixed_op("file", FILE_KEYS, "write"),
    **{BASE + name: _sql for name in SQL_NODES},
}


def _principal(user: Mapping[str, Any]) -> Principal:
    first, last = _text(user.get("firstName")), _text(user.get("lastName"))
    email = _text(user.get("email"))
    pending = user.get("isPending")
    mfa = user.get("mfaEnabled")
    role = _text(user.get("role"))
    return Principal(
        id=str(user["id"]), name=f"{first} {last}".strip() or email, kind="user",
        email=email, roles=(role,) if role else (),
        active=(not pending) if isinstance(pending, bool) else None,
        mfa=mfa if isinstance(mfa, bool) else None)


def _app_name(spec: AppSpec, workflows: list[Workflow]) -> str:
    if len(workflows) == 1 and workflows[0].name:
        return workflows[0].name
    if spec.transport in ("file", "demo"):
        path = Path(spec.location)
        return path.stem if path.suffix else path.name
    try:
        host = urlsplit(spec.location).hostname
    except ValueError:
        host = None
    return host or spec.location
