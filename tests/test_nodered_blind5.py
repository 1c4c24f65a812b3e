"""Node-RED misses and look-alikes from the fifth blind set (issue 11), distilled in our own
words from real apps: a function nothing sends to, a database option that turns certificate
checks off in JSON, a vendor token set with no keyword, personal text sent to a cloud AI
node, a query string used as a MongoDB filter. Each fires on the bad shape and stays quiet
on its look-alike."""

from __future__ import annotations

from pytest_nocode.checks import test_injection as injection
from tests.checkrun import findings_of, ids
from tests.test_checks_nodered import app_of, function, inject, nid, tab

INJ002 = injection.test_sinks_do_not_interpolate_data

INSTALL = """const { exec } = childProcess;
for (const name of msg.modules) {
    exec(`npm install ${name}`);
}
return msg;"""


# -- a function nothing sends to never runs its code --------------------------------------------
def _installer(**wired: list[str]) -> dict:
    step = function("install", INSTALL, **wired)
    step["libs"] = [{"var": "childProcess", "module": "child_process"}]
    return step


def test_a_function_running_commands_that_nothing_sends_to_is_quiet() -> None:
    assert findings_of(INJ002, app_of([tab(), _installer()])) == []


def test_a_function_running_commands_fed_by_an_unknown_node_still_fires() -> None:
    flows = [tab(), {"id": nid("feed"), "type": "module-feed", "z": nid("tab:Order intake"),
                     "name": "", "x": 1, "y": 1, "wires": [[nid("install")]]}, _installer()]
    assert ids(findings_of(INJ002, app_of(flows))) == {nid("install")}


def test_a_function_fed_only_a_constant_by_an_inject_is_quiet() -> None:
    flows = [tab(), inject("start", to=["install"], payload="left-pad"), _installer()]
    assert findings_of(INJ002, app_of(flows)) == []
