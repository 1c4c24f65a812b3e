"""Per-output states of a Node-RED function with several outputs, distilled in our own words
from a real sign-in flow: the code sends the message it was given on its second output when a
lookup found nothing, then sets a fixed SQL text and sends the message on its first output.
What leaves on the first output holds the fixed query only; what leaves on the second is
still what came in. One state for both outputs made the caller's data reach the query node."""

from __future__ import annotations

from typing import Any

from pytest_nocode.platforms.nodered_function import follow_function
from tests.checkrun import findings_of, ids
from tests.rules import INJ001
from tests.test_checks_nodered import app_of, http_in, nid, node, tab

# the second output leaves before the command is set, the first only after
SPLIT = """if (!msg.payload.found) {
    node.warn("nothing found");
    return [null, msg];
}
msg.payload = "uptime";
return [msg, null];"""


def _function(key: str, code: str, wires: list[list[str]]) -> dict[str, Any]:
    return node(key, "function", name=key, func=code, outputs=len(wires), timeout=0,
                noerr=0, initialize="", finalize="", libs=[], wires=wires)


def _exec(key: str) -> dict[str, Any]:
    """An exec node that appends msg.payload to its command."""
    return node(key, "exec", name=key, command="/usr/bin/status", addpay="payload",
                append="", useSpawn="false", timer="", winHide=False, oldrc=False,
                wires=[[], [], []])


def _flows(code: str, first: list[str], second: list[str]) -> list[dict[str, Any]]:
    return [tab(), http_in("in", "/status", to=["split"]),
            _function("split", code, [first, second]), _exec("one"), _exec("two")]


def test_a_property_set_before_the_only_send_on_an_output_holds_its_new_value_there() -> None:
    app = app_of(_flows(SPLIT, ["one"], ["two"]))
    assert ids(findings_of(INJ001, app)) == {nid("two")}


def test_the_output_sent_before_the_property_is_set_still_carries_the_input() -> None:
    """The same function with its outputs wired the other way round."""
    app = app_of(_flows(SPLIT, ["two"], ["one"]))
    assert ids(findings_of(INJ001, app)) == {nid("one")}


def test_an_output_sent_both_before_and_after_keeps_the_input() -> None:
    both = SPLIT.replace("return [null, msg];", "return [msg, msg];")
    app = app_of(_flows(both, ["one"], ["two"]))
    assert ids(findings_of(INJ001, app)) == {nid("one"), nid("two")}


def test_a_send_whose_output_is_computed_gives_every_output_one_state() -> None:
    spread = SPLIT.replace("return [null, msg];", "return [...outs, msg];")
    followed = follow_function(spread)
    assert followed is not None and followed.outputs == ()
    app = app_of(_flows(spread, ["one"], ["two"]))
    assert ids(findings_of(INJ001, app)) == {nid("one"), nid("two")}


def test_the_follower_gives_each_output_its_own_writes() -> None:
    followed = follow_function(SPLIT)
    assert followed is not None and len(followed.outputs) == 2
    first, second = ([w for w in writes if w.field == "payload"] for writes in followed.outputs)
    assert [w.strong for w in first] == [True]  # set anew before the first output's send
    assert [w.strong for w in second] == [False]  # the second output's send came first
