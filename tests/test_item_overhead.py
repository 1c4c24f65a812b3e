"""What each check item costs pytest (issue 8): the plugin's fixtures take their item without
asking for ``request``, and a check's items share their function's location."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DEMO, node, run_json, tab

FLOW = [tab(), node("in1", "http in", url="/run", method="post", wires=[["out1"]]),
        node("out1", "http response", wires=[])]

RECORDER = """
import json
import pytest
import _pytest.python

LOOKUPS = []
_own = _pytest.python.getfslineno


def _counted(obj):
    LOOKUPS.append(obj)
    return _own(obj)


_pytest.python.getfslineno = _counted  # what Function.reportinfo looks a location up with


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    rows = []
    for item in session.items:
        if item.get_closest_marker("nocode_check") is None:
            continue
        own = type(item).location.func(item)  # pytest's own way, not the shared one
        rows.append({"id": item.nodeid, "request": "request" in item.fixturenames,
                     "location": list(item.location), "pytest": list(own),
                     "function": item.function.__module__ + "." + item.function.__name__})
    with open("items.json", "w") as fh:
        json.dump({"items": rows, "lookups": len(LOOKUPS)}, fh)
"""

OWN_CHECK = """
from pytest_nocode import check

@check("OWN001", title="own check", category="inventory", severity="low")
def test_own(nocode_app, nocode_findings):
    nocode_findings.add(nocode_app.steps[0], "seen", {"app": nocode_app.id})
"""


def test_check_items_need_no_request_and_share_locations(pytester: pytest.Pytester,
                                                         write_flows) -> None:
    flows = write_flows(FLOW)
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(test_own=OWN_CHECK)
    result, report = run_json(pytester, "-p", "no:faker", f"--nocode-app=nodered+file:{flows}",
                              f"--nocode-app=n8n+file:{DEMO / 'n8n'}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    recorded = json.loads((pytester.path / "items.json").read_text())
    rows = recorded["items"]
    assert len(rows) > 20
    # nocode_app and nocode_findings alone: no RequestFixtureDef per item
    plain = [r for r in rows if "test_own" in r["id"] or "test_authentication" in r["id"]]
    assert plain and not any(r["request"] for r in plain)
    # every location is the one pytest computes, looked up once per check function (the
    # recorder's own look-ups, one per item, come after)
    assert all(r["location"] == r["pytest"] for r in rows)
    assert recorded["lookups"] == len({r["function"] for r in rows}) + len(rows)
    # each item's fixtures were given that item: the findings name their own check id
    own = sorted((f["app"], f["check"]) for f in report["findings"] if f["rule"] == "OWN001")
    assert [check.rsplit("[", 1)[1] for _, check in own] == [f"{app}]" for app, _ in own]
    assert len(own) == 2


def test_nocode_app_asked_without_its_parameter_fails_clearly(pytester: pytest.Pytester,
                                                              write_flows) -> None:
    flows = write_flows(FLOW)
    pytester.makepyfile(test_odd="""
def test_dynamic(request):
    request.getfixturevalue("nocode_app")
""")
    result = pytester.runpytest("-p", "no:cacheprovider", "--nocode-no-builtin",
                                f"--nocode-app=nodered+file:{flows}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*nocode_app is parametrized over the apps*"])


KEPT_RECORDER = """
import gc, json
import pytest
from pytest_nocode.findings import Finding
from pytest_nocode.plugin import COLLECTOR_KEY

@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    gc.collect()
    kept = sum(1 for item in session.items if COLLECTOR_KEY in item.stash)
    alive = sum(1 for o in gc.get_objects() if type(o) is Finding)
    with open("kept.json", "w") as fh:
        json.dump({"collectors": kept, "findings": alive}, fh)
"""


def test_a_checks_finding_objects_are_let_go_once_its_report_has_them(
        pytester: pytest.Pytester, write_flows) -> None:
    """What lasts the run of a check's findings is their JSON in its report (what the
    reports are written from); the collector and its Finding objects are let go after the
    check (on 20,000 workflows, 25,000 findings' objects were kept to the end)."""
    flows = write_flows(FLOW)
    pytester.makeconftest(KEPT_RECORDER)
    pytester.makepyfile(test_own=OWN_CHECK)
    # in a process of its own: an in-process run's hook recorder keeps every call's objects
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:faker",
                                           f"--nocode-app=nodered+file:{flows}",
                                           "--nocode-json=findings.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = json.loads((pytester.path / "findings.json").read_text())
    assert any(f["rule"] == "OWN001" for f in report["findings"])
    kept = json.loads((pytester.path / "kept.json").read_text())
    assert kept == {"collectors": 0, "findings": 0}
