"""Node-RED context keys whose names are not identifiers, distilled in our own words from a
real OAuth client flow: a change node keeps the token the server answered under
``x-auth-token`` and the settings under ``user-name``; a later request's body is rendered
from the kept settings. Node-RED reads everything up to a "." or "[" as one key's name, so
``x-auth-token`` is one key, as ``token`` would be: the answer kept there is not in every
other key. A key with a "." still changes part of another key, and is still "any key"."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.platforms.nodered_function import follow_function, whole_context_key
from tests.checkrun import findings_of, ids
from tests.rules import INJ002
from tests.test_checks_nodered import app_of, change, inject, nid, node, tab, template


def _kept(token_key: str) -> list[dict[str, Any]]:
    settings = [{"t": "set", "p": "user-name", "pt": "flow", "to": "operator", "tot": "str"}]
    keep = [{"t": "set", "p": token_key, "pt": "flow", "to": "payload.token", "tot": "msg"}]
    body = [{"t": "set", "p": "name", "pt": "msg", "to": "user-name", "tot": "flow"}]
    return [tab(), inject("boot", to=["settings"]), change("settings", rules=settings),
            inject("login", to=["token"]),
            node("token", "http request", name="token", method="POST", ret="obj",
                 paytoqs="ignore", url="https://auth.example.org/token", authType="",
                 headers=[], wires=[["keep"]]),
            change("keep", rules=keep),
            inject("renew", to=["read"]), change("read", rules=body, to=["body"]),
            template("body", "grant_type=password&username={{{name}}}", to=["exec"]),
            node("exec", "exec", name="exec", command="", addpay="payload", append="",
                 useSpawn="false", timer="", winHide=False, oldrc=False, wires=[[], [], []])]


@pytest.mark.parametrize("key", ["x-auth-token", "token"])
def test_a_key_kept_under_a_name_with_a_hyphen_is_that_key_alone(key: str) -> None:
    assert findings_of(INJ002, app_of(_kept(key))) == []


def test_a_dotted_key_still_changes_part_of_a_key_any_reader_may_read() -> None:
    assert ids(findings_of(INJ002, app_of(_kept("auth.token")))) == {nid("body"), nid("exec")}


@pytest.mark.parametrize(("key", "whole"), [
    ("x-auth-token", True), ("orion-ld", True), ("token", True),
    ("auth.token", False), ("list[0]", False), ("#:(file)::token", False), ("", False)])
def test_whole_context_keys(key: str, whole: bool) -> None:
    assert whole_context_key(key) is whole


def test_a_function_keeps_a_hyphenated_key_by_its_name() -> None:
    followed = follow_function("flow.set('x-auth-token', msg.payload.token);\nreturn msg;")
    assert followed is not None
    assert [k.field for k in followed.keeps] == ["flow context x-auth-token"]
