"""Node-RED GET routes that answer one of the app's own pages (issue 11, AUTH001): a page
template or a fixed ``.html`` file, with a few values the app keeps in flow or global context
pasted into its script (the broker or server the page connects to, a call sign). The page is
the app's code with its settings, like a stylesheet: open by design (info, listed on request).
The same route fires once it reflects what the caller sent, pastes a value a sensitivity label
marks, answers the settings as data rather than as a page, takes another method, or does more
than paste. The flows are written here, distilled from deployments a reviewer triaged."""

from __future__ import annotations

from typing import Any

from pytest_nocode.findings import Severity
from tests.checkrun import findings_of, one, policy
from tests.rules import AUTH001
from tests.test_checks_nodered import app_of, function, http_in, http_response, node, tab

LISTED = policy("version: 1\nsettings:\n  report_status_probes: true\n")
PASTE = ('msg.broker = global.get("broker_address");\n'
         'msg.station = global.get("callsign");\nreturn msg;')
PAGE = ("<!DOCTYPE html>\n<title>Spectrum</title>\n<script>\n"
        '  var broker = "{{broker}}";\n  var station = "{{station}}";\n</script>\n'
        '<script src="/spectrum/view.js"></script>\n<canvas id="plot"></canvas>\n')


def _page_route(paste: str = PASTE, page: str = PAGE, *, method: str = "get"
                ) -> list[dict[str, Any]]:
    """GET /spectrum → paste context values → render the page → answer."""
    return [tab(), http_in("in", "/spectrum", method=method, to=["paste"]),
            function("paste", paste, to=["page"]),
            node("page", "template", name="page", field="payload", fieldType="msg",
                 format="handlebars", syntax="mustache", template=page, output="str",
                 wires=[["resp"]]),
            http_response("resp")]


def test_a_page_with_settings_from_context_pasted_in_is_open_by_design() -> None:
    app = app_of(_page_route())
    assert findings_of(AUTH001, app) == []
    listed = one(findings_of(AUTH001, app, LISTED))
    assert listed.severity == Severity.INFO and listed.evidence["own_page"] is True
    assert "the app's own page 'page'" in listed.message
    assert "'broker_address', 'callsign'" in listed.message


def test_a_page_that_reflects_the_callers_query_fires() -> None:
    reflected = PAGE.replace("{{station}}", "{{payload.station}}")
    found = one(findings_of(AUTH001, app_of(_page_route(page=reflected))))
    assert found.severity == Severity.HIGH and "own_page" not in found.evidence


def test_a_page_pasting_a_labelled_value_or_a_key_named_at_run_time_fires() -> None:
    labelled = PASTE.replace('"callsign"', '"users"')
    run_time = PASTE.replace('"callsign"', "msg.req.query.key")
    for paste in (labelled, run_time):
        found = one(findings_of(AUTH001, app_of(_page_route(paste))))
        assert found.severity == Severity.HIGH


def test_the_settings_answered_as_data_rather_than_a_page_fire() -> None:
    json_text = '{"broker": "{{broker}}", "station": "{{station}}"}'
    found = one(findings_of(AUTH001, app_of(_page_route(page=json_text))))
    assert found.severity == Severity.HIGH


def test_a_page_route_that_takes_a_post_or_also_writes_or_reads_the_environment_fires(
        ) -> None:
    writes = 'global.set("seen", Date.now());\n' + PASTE
    environment = PASTE.replace('global.get("callsign")', 'env.get("STATION")')
    for flows in (_page_route(method="post"), _page_route(writes), _page_route(environment)):
        found = one(findings_of(AUTH001, app_of(flows)))
        assert found.severity == Severity.HIGH and "own_page" not in found.evidence


RENDER = ('let engine = global.get("mustacheModule");\n'
          'msg.payload = engine.render(msg.payload, {server: global.get("CONFIG").host});\n'
          "return msg;")


def _file_page(render: str = RENDER, filename: str = "webapp/static/me.html"
               ) -> list[dict[str, Any]]:
    """GET /me → a fixed page file → a template engine from context fills it in → answer."""
    return [tab(), http_in("in", "/me", method="get", to=["file"]),
            node("file", "file in", filename=filename, format="utf8", chunk=False,
                 sendError=False, wires=[["render"]]),
            function("render", render, to=["resp"]), http_response("resp")]


def test_a_fixed_page_file_filled_in_by_a_template_engine_is_open_by_design() -> None:
    app = app_of(_file_page())
    assert findings_of(AUTH001, app) == []
    assert one(findings_of(AUTH001, app, LISTED)).evidence["own_page"] is True


def test_a_module_from_context_that_is_no_template_engine_or_a_data_file_fires() -> None:
    other_module = RENDER.replace("mustacheModule", "mailer")
    for flows in (_file_page(other_module), _file_page(filename="data/members.json")):
        found = one(findings_of(AUTH001, app_of(flows)))
        assert found.severity == Severity.HIGH and "own_page" not in found.evidence
