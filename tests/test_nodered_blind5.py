"""Node-RED misses and look-alikes from the fifth blind set (issue 11), distilled in our own
words from real apps: a function nothing sends to, a database option that turns certificate
checks off in JSON, a vendor token set with no keyword, personal text sent to a cloud AI
node, a query string used as a MongoDB filter. Each fires on the bad shape and stays quiet
on its look-alike."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_nocode.checks import test_encryption as encryption
from pytest_nocode.checks import test_injection as injection
from tests.checkrun import findings_of, ids, one
from tests.test_checks_nodered import app_of, config, function, inject, nid, node, tab

INJ002 = injection.test_sinks_do_not_interpolate_data
ENC001 = encryption.test_no_cleartext_to_remote_hosts
ENC002 = encryption.test_certificates_are_verified

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


# -- a PostgreSQL config whose JSON ssl option turns certificate checks off --------------------
def _postgres(host: dict[str, str], ssl: str | None) -> list[dict[str, Any]]:
    tls = {"ssl": ssl, "sslFieldType": "json"} if ssl is not None else \
        {"ssl": False, "sslFieldType": "bool"}
    db = config("db", "postgreSQLConfig", port="5432", portFieldType="num", database="members",
                databaseFieldType="str", user="DB_USER", userFieldType="env", **host, **tls)
    return [tab(), db, inject("tick", to=["q"]),
            node("q", "postgresql", query="SELECT 1", postgreSQLConfig=nid("db"), wires=[[]])]


ENV_HOST = {"host": "DB_HOST", "hostFieldType": "env"}
SHOWN_HOST = {"host": "members.db-cloud.example.net", "hostFieldType": "str"}
UNVERIFIED = '{"require": true, "rejectUnauthorized": false}'


@pytest.mark.parametrize("host", [ENV_HOST, SHOWN_HOST])
def test_a_json_ssl_option_accepting_any_certificate_is_enc002(host: dict[str, str]) -> None:
    app = app_of(_postgres(host, UNVERIFIED))
    found = one(findings_of(ENC002, app))
    assert found.resource.id == nid("db")
    assert findings_of(ENC001, app) == []  # TLS is on, only unverified


@pytest.mark.parametrize(("host", "ssl"), [(ENV_HOST, '{"require": true}'),
                                           (SHOWN_HOST, '{"require": true}'),
                                           (ENV_HOST, "not json"), (ENV_HOST, None)])
def test_a_verified_or_unshown_ssl_option_is_no_enc002(host: dict[str, str],
                                                       ssl: str | None) -> None:
    assert findings_of(ENC002, app_of(_postgres(host, ssl))) == []


def test_a_json_ssl_object_turns_tls_on_for_enc001() -> None:
    assert findings_of(ENC001, app_of(_postgres(SHOWN_HOST, '{"require": true}'))) == []
    assert ids(findings_of(ENC001, app_of(_postgres(SHOWN_HOST, None)))) == {nid("db")}
