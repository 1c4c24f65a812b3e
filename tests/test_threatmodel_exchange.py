"""Threat Dragon v2, Threat Composer and OTM files: valid against each project's published
schema (see :mod:`tests.published_schemas`), byte-identical across runs, and laid out so Threat
Dragon's geometry gives each element the trust boundary the model gives it.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_nocode.redaction import Redactor
from pytest_nocode.threatmodel.exchange import stable_uuid
from pytest_nocode.threatmodel.exports import write_exchange_files
from pytest_nocode.threatmodel.layout import Box
from pytest_nocode.threatmodel.model import RegisterEntry, ThreatModel
from pytest_nocode.threatmodel.otm import to_otm
from pytest_nocode.threatmodel.threat_composer import to_threat_composer
from pytest_nocode.threatmodel.threat_dragon import to_threat_dragon
from tests.published_schemas import SCHEMAS, schema_errors, shared_schemas
from tests.threatmodels import APP, HOST, chain, large_model, lead_intake_model

EXPORTS = {"threat-dragon.json": to_threat_dragon, "threat-composer.json": to_threat_composer,
           "otm.json": to_otm}


@pytest.mark.parametrize("form", SCHEMAS)
def test_each_form_validates_against_its_published_schema(form: str) -> None:
    document = EXPORTS[form](lead_intake_model())
    assert schema_errors(document, form) == []


@pytest.mark.parametrize("form", SCHEMAS)
def test_the_schema_check_catches_a_broken_document(form: str) -> None:
    """The conformance test can fail: a required part removed is reported."""
    document = EXPORTS[form](lead_intake_model())
    required = {"threat-dragon.json": "detail", "threat-composer.json": "schema",
                "otm.json": "project"}[form]
    del document[required]
    assert any(required in error for error in schema_errors(document, form))


def test_missing_schemas_fail_clearly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NOCODE_SHARED_SCHEMAS", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="published schemas not found"):
        shared_schemas()


@pytest.mark.parametrize("form", SCHEMAS)
def test_a_large_app_stays_valid(form: str) -> None:
    model = large_model()
    assert len(model.elements) > 400 and len(model.threats) > 4000
    assert schema_errors(EXPORTS[form](model), form) == []


def test_same_model_gives_byte_identical_files(tmp_path: Path) -> None:
    first = write_exchange_files(lead_intake_model(), tmp_path / "one")
    second = write_exchange_files(lead_intake_model(), tmp_path / "two")
    assert [p.name for p in first] == list(SCHEMAS)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    # and the ids really derive from the model: another app's ids differ
    other = replace(lead_intake_model(), app_id="other", app_name="Other")
    assert to_threat_dragon(other) != to_threat_dragon(lead_intake_model())


# -- Threat Dragon ------------------------------------------------------------------------------
def _cells(document: dict[str, Any], diagram: int = 0) -> list[dict[str, Any]]:
    return document["detail"]["diagrams"][diagram]["cells"]


def _box(cell: dict[str, Any]) -> Box:
    return Box(cell["position"]["x"], cell["position"]["y"], cell["size"]["width"],
               cell["size"]["height"])


def _inside(cells: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Threat Dragon's own rule, on the file: cell id → ids of the boxes wholly around it."""
    boxes = {c["id"]: _box(c) for c in cells if c["shape"] == "trust-boundary-box"}
    return {c["id"]: {b for b, box in boxes.items() if box.contains(_box(c))}
            for c in cells if c["shape"] in ("actor", "process", "store")}


@pytest.mark.parametrize("model", [lead_intake_model(), large_model(40)], ids=["small", "large"])
def test_threat_dragon_geometry_puts_each_element_in_its_boundary(model: ThreatModel) -> None:
    document = to_threat_dragon(model)
    for diagram in range(len(document["detail"]["diagrams"])):
        inside = _inside(_cells(document, diagram))
        kind = document["detail"]["diagrams"][diagram]["diagramType"].lower()
        cell = {e.id: stable_uuid(f"cell:{kind}", e.id) for e in model.elements}
        boundary_cell = {b.id: stable_uuid(f"cell:{kind}", b.id) for b in model.boundaries}
        for element in model.elements:
            expected = {boundary_cell[b] for b in chain(element.boundary)}
            assert inside[cell[element.id]] == expected, element.id
        # flows cross exactly the boundaries the model says (one end inside, one outside)
        for flow in model.flows:
            crossed = inside[cell[flow.source]] ^ inside[cell[flow.target]]
            assert crossed == {boundary_cell[b] for b in flow.crosses}, flow.id


def test_threat_dragon_elements_do_not_overlap() -> None:
    cells = [c for c in _cells(to_threat_dragon(large_model(40)))
             if c["shape"] in ("actor", "process", "store")]
    boxes = sorted((_box(c) for c in cells), key=lambda b: (b.y, b.x))
    for index, a in enumerate(boxes):
        for b in boxes[index + 1:]:
            if b.y >= a.y + a.height:
                break
            assert b.x >= a.x + a.width or a.x >= b.x + b.width, (a, b)


def test_threat_dragon_threats_sit_on_their_cells_with_status() -> None:
    model = lead_intake_model()
    document = to_threat_dragon(model)
    threats = {t["id"]: (cell["id"], t) for diagram in document["detail"]["diagrams"]
               for cell in diagram["cells"] for t in cell.get("data", {}).get("threats", [])}
    assert len(threats) == len(model.threats)
    for threat in model.threats:
        cell_id, written = threats[stable_uuid("threat", threat.id)]
        kind = threat.framework.lower()
        assert cell_id == stable_uuid(f"cell:{kind}", threat.target)
        assert written["modelType"] == threat.framework
        assert threat.id in written["title"]
        expected = {"open": "Open", "needs review": "Open", "mitigated": "Mitigated"}[
            threat.status]
        if threat.decision and not threat.decision.expired:
            expected = "Accepted"
        assert written["status"] == expected, threat.id
        assert written["severity"] != "TBD" if threat.residual_risk is not None else (
            written["severity"] == "TBD")
        if threat.status == "open":
            assert threat.evidence[0].rule in written["description"]
    numbers = sorted(t["number"] for _, t in threats.values())
    assert numbers == list(range(1, len(model.threats) + 1))
    assert document["detail"]["threatTop"] == len(model.threats)


def test_threat_dragon_draws_linddun_diagram_only_where_used() -> None:
    with_privacy = to_threat_dragon(lead_intake_model())
    assert [d["diagramType"] for d in with_privacy["detail"]["diagrams"]] == ["STRIDE", "LINDDUN"]
    linddun = [t for c in _cells(with_privacy, 1) for t in c.get("data", {}).get("threats", [])]
    assert linddun and {t["type"] for t in linddun} == {"Linkability"}
    without = to_threat_dragon(lead_intake_model(linddun=False))
    assert [d["diagramType"] for d in without["detail"]["diagrams"]] == ["STRIDE"]
    assert without["detail"]["diagramTop"] == 1


def test_threat_dragon_marks_open_cells_and_public_flows() -> None:
    model = lead_intake_model()
    cells = {c["id"]: c for c in _cells(to_threat_dragon(model))}
    for flow in model.flows:
        data = cells[stable_uuid("cell:stride", flow.id)]["data"]
        ends = {model.element(flow.source).boundary, model.element(flow.target).boundary}
        assert data["isPublicNetwork"] == ("boundary:internet" in ends), flow.id
        assert data["isEncrypted"] == (flow.tls is True)
    creds = cells[stable_uuid("cell:stride", "store:credential store:n8n")]
    assert creds["data"]["storesCredentials"] is True
    table = cells[stable_uuid("cell:stride", "store:database:postgres/leads0")]
    assert table["data"]["storesCredentials"] is False


def test_unknown_boundary_is_a_clear_error() -> None:
    model = lead_intake_model()
    broken = replace(model, elements=(replace(model.elements[0], boundary="boundary:moon"),
                                      *model.elements[1:]))
    with pytest.raises(ValueError, match=r"boundary:moon"):
        to_threat_dragon(broken)


# -- Threat Composer ----------------------------------------------------------------------------
def test_threat_composer_ids_are_uuids_and_links_resolve() -> None:
    model = lead_intake_model()
    document = to_threat_composer(model)
    ids = {kind: {item["id"] for item in document[kind]}
           for kind in ("threats", "mitigations", "assumptions")}
    for kind, found in ids.items():
        assert all(str(uuid.UUID(i)) == i for i in found), kind
    assert len(ids["threats"]) == len(model.threats)
    links = document["mitigationLinks"]
    assert links and all(link["mitigationId"] in ids["mitigations"]
                         and link["linkedId"] in ids["threats"] for link in links)
    covered = sum(len(m.threats) for m in model.mitigations)
    assert len(links) == covered
    assumption_links = document["assumptionLinks"]
    relay_threats = [t for t in model.threats if t.target.endswith("relay.corp.example")]
    assert len(assumption_links) == len(relay_threats) > 0  # the whole-model one stands alone
    assert all(a["linkedId"] in ids["threats"] for a in assumption_links)


def test_threat_composer_threats_keep_grammar_status_and_our_id() -> None:
    model = lead_intake_model()
    written = {t["id"]: t for t in to_threat_composer(model)["threats"]}
    for threat in model.threats:
        item = written[stable_uuid("threat", threat.id)]
        meta = {m["key"]: m["value"] for m in item["metadata"]}
        assert meta["custom:threatId"] == threat.id
        assert item["threatAction"] == threat.action
        assert item["statement"] == threat.statement
        assert not item["threatSource"].lower().startswith(("a ", "an "))
        if threat.framework == "STRIDE":
            assert meta["STRIDE"] == [threat.category[0].upper()]
        else:
            assert meta["custom:LINDDUN"] == [threat.category]
        decided = threat.decision is not None and not threat.decision.expired
        expected = ("threatResolved" if decided or threat.status == "mitigated"
                    else "threatIdentified")
        assert item["status"] == expected, threat.id
        assert ("Priority" in meta) == (threat.residual_risk is not None)


def test_threat_composer_descriptions_count_what_they_do_not_list() -> None:
    model = large_model()
    architecture = to_threat_composer(model)["architecture"]["description"]
    listed = architecture.count("\n- **") - len(model.boundaries)
    assert listed == 400 < len(model.elements)
    assert f"{len(model.elements) - 400} more are not listed here" in architecture
    small = to_threat_composer(lead_intake_model())["architecture"]["description"]
    assert "not listed" not in small


def test_threat_composer_cuts_long_fields_visibly() -> None:
    model = lead_intake_model()
    long = replace(model.threats[0], action="read " + "every lead " * 40)
    item = to_threat_composer(replace(model, threats=(long, *model.threats[1:])))["threats"][0]
    assert len(item["threatAction"]) == 200 and item["threatAction"].endswith("…")
    assert schema_errors(to_threat_composer(replace(model, threats=(long,))),
                         "threat-composer.json") == []


# -- OTM ------------------------------------------------------------------------------------------
def test_otm_references_resolve_and_positions_nest() -> None:
    model = lead_intake_model()
    document = to_otm(model)
    zones = {z["id"]: z for z in document["trustZones"]}
    components = {c["id"]: c for c in document["components"]}
    threats = {t["id"] for t in document["threats"]}
    mitigations = {m["id"] for m in document["mitigations"]}
    assets = {a["id"] for a in document["assets"]}

    def absolute(item: dict[str, Any]) -> Box:
        rep = item["representations"][0]
        x, y = rep["position"]["x"], rep["position"]["y"]
        parent = item.get("parent", {}).get("trustZone")
        while parent:  # positions are relative to the parent zone, as Threat Dragon reads them
            zone_rep = zones[parent]["representations"][0]
            x, y = x + zone_rep["position"]["x"], y + zone_rep["position"]["y"]
            parent = zones[parent].get("parent", {}).get("trustZone")
        return Box(x, y, rep["size"]["width"], rep["size"]["height"])

    for element in model.elements:
        component = components[stable_uuid("element", element.id)]
        assert component["attributes"]["pytest-nocode-id"] == element.id
        zone = component["parent"]["trustZone"]
        assert zone == stable_uuid("boundary", element.boundary)
        assert absolute(zones[zone]).contains(absolute(component)), element.id
        assert set(component["assets"]["stored"] + component["assets"]["processed"]) <= assets
        # importers pick a shape from the words "database" and "service" in type or id
        # (Threat Dragon: store, process, else actor): the type decides, the UUID id never does
        words = {w for w in ("database", "service") if w in component["type"]}
        assert words == {"data_store": {"database"}, "process": {"service"},
                         "external_entity": set()}[element.kind], element.id
        assert not {w for w in ("database", "service") if w in component["id"]}
    refs = [r for item in (*document["components"], *document["dataflows"])
            for r in item["threats"]]
    assert len(refs) == len(model.threats)
    assert all(r["threat"] in threats for r in refs)
    assert all(m["mitigation"] in mitigations for r in refs for m in r["mitigations"])
    for flow in document["dataflows"]:
        assert flow["source"] in components and flow["destination"] in components
    assert {zones[z]["type"] for z in zones} == {"internet", "organisation", "host", "app"}
    app_zone = zones[stable_uuid("boundary", APP)]
    assert app_zone["parent"] == {"trustZone": stable_uuid("boundary", HOST)}


def test_otm_threat_states_follow_evidence_and_decisions() -> None:
    model = lead_intake_model()
    states = {r["threat"]: r["state"] for item in (*to_otm(model)["components"],
                                                   *to_otm(model)["dataflows"])
              for r in item["threats"]}
    for threat in model.threats:
        expected = {"open": "exposed", "mitigated": "mitigated",
                    "needs review": "needs-review"}[threat.status]
        if threat.decision and not threat.decision.expired:
            expected = "accepted"
        assert states[stable_uuid("threat", threat.id)] == expected, threat.id


# -- writing ------------------------------------------------------------------------------------
def test_secret_values_are_masked_in_every_file(tmp_path: Path) -> None:
    """A secret that slipped into a name (a token in a host label) never reaches a file, and the
    masking works on the data, so a secret holding a quote is caught too."""
    secret = 'tok"en-4f9a81c2d7e6b5a4'
    model = lead_intake_model()
    leaky = replace(model.elements[0], name=f"hooks.chat.example/{secret}")
    model = replace(model, elements=(leaky, *model.elements[1:]))
    written = write_exchange_files(model, tmp_path, Redactor([secret]).text)
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert secret not in text and secret.replace('"', '\\"') not in text, path.name
        assert "masked" in text
        assert schema_errors(json.loads(text), path.name) == []


def test_masking_keeps_the_length_limits(tmp_path: Path) -> None:
    """A mask can be longer than the secret it hides ("abcd…[masked, 20 chars]"): masking the
    model before the fields are cut keeps a 200-character field within Threat Composer's
    limit."""
    secret = "abcdefghijklmnop1234"
    model = lead_intake_model()
    action = "x" * (200 - len(secret) - 1) + " " + secret
    model = replace(model, threats=(replace(model.threats[0], action=action),
                                    *model.threats[1:]))
    written = write_exchange_files(model, tmp_path, Redactor([secret]).text)
    text = written[1].read_text(encoding="utf-8")
    assert secret not in text
    composer = json.loads(text)
    assert composer["threats"][0]["threatAction"].endswith("…")
    assert schema_errors(composer, "threat-composer.json") == []


def test_run_writes_exchange_files_for_each_demo_app(pytester: pytest.Pytester) -> None:
    """End to end: --nocode-threat-model writes the three forms for each app, valid, with the
    run's evidence (the demo apps have known findings, so some threats are open)."""
    result = pytester.runpytest("-p", "no:cacheprovider", "--nocode-app=demo",
                                "--nocode-threat-model=models")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the demo apps have findings
    for app_id in ("demo-nodered", "demo-n8n"):
        folder = pytester.path / "models" / app_id
        documents = {name: json.loads((folder / name).read_text(encoding="utf-8"))
                     for name in SCHEMAS}
        for name, document in documents.items():
            assert schema_errors(document, name) == [], (app_id, name)
        dragon = documents["threat-dragon.json"]
        statuses = {t["status"] for d in dragon["detail"]["diagrams"] for c in d["cells"]
                    for t in c.get("data", {}).get("threats", [])}
        assert "Open" in statuses, app_id
        # Threat Dragon's geometry puts each element in the trust zone OTM names for it
        otm = documents["otm.json"]
        zone_names = {z["id"]: z["name"] for z in otm["trustZones"]}
        cells = dragon["detail"]["diagrams"][0]["cells"]
        box_names = {c["id"]: c["data"]["name"] for c in cells
                     if c["shape"] == "trust-boundary-box"}
        boxes = {c["id"]: _box(c) for c in cells if c["shape"] == "trust-boundary-box"}
        inside = _inside(cells)
        for component in otm["components"]:
            cell = stable_uuid("cell:stride", component["attributes"]["pytest-nocode-id"])
            around = sorted(inside[cell], key=lambda b: boxes[b].width * boxes[b].height)
            assert box_names[around[0]] == zone_names[component["parent"]["trustZone"]]
            # the boxes around it nest: each holds the next smaller one
            assert all(boxes[outer].contains(boxes[inner])
                       for inner, outer in itertools.pairwise(around))
        states = {r["state"] for c in otm["components"] + otm["dataflows"] for r in c["threats"]}
        assert "exposed" in states, app_id


@pytest.mark.parametrize(("decided", "dragon", "composer", "otm"), [
    ("accepted", "Accepted", "threatResolved", "accepted"),
    ("transferred", "Transferred", "threatResolved", "transferred"),
    ("mitigated", "Mitigated", "threatResolved", "mitigated"),
    ("not applicable", "NotApplicable", "threatResolvedNotUseful", "not-applicable"),
])
def test_every_register_decision_maps_to_each_form(decided: str, dragon: str, composer: str,
                                                   otm: str) -> None:
    model = lead_intake_model(decisions=False)
    threat = next(t for t in model.threats if t.status == "open")
    entry = RegisterEntry(threat.id, decided, "reviewed", "ops", "2099-01-01")
    model = replace(model, threats=tuple(replace(t, decision=entry) if t is threat else t
                                         for t in model.threats))
    key = stable_uuid("threat", threat.id)
    written = {t["id"]: t for d in to_threat_dragon(model)["detail"]["diagrams"]
               for c in d["cells"] for t in c.get("data", {}).get("threats", [])}
    assert written[key]["status"] == dragon
    assert "Register: " + decided in written[key]["description"]
    assert {t["id"]: t["status"] for t in to_threat_composer(model)["threats"]}[key] == composer
    document = to_otm(model)
    states = {r["threat"]: r["state"] for item in (*document["components"],
                                                   *document["dataflows"])
              for r in item["threats"]}
    assert states[key] == otm
    # expired, the same decision no longer counts: the evidence (open) decides again
    expired = replace(model, threats=tuple(
        replace(t, decision=replace(entry, expired=True)) if t.id == threat.id else t
        for t in model.threats))
    again = {t["id"]: t for d in to_threat_dragon(expired)["detail"]["diagrams"]
             for c in d["cells"] for t in c.get("data", {}).get("threats", [])}
    assert again[key]["status"] == "Open"
