"""Node-RED misses and look-alikes from the fifth blind set (issue 11), distilled in our own
words from real apps: a function nothing sends to, a database option that turns certificate
checks off in JSON, a vendor token set with no keyword, personal text sent to a cloud AI
node, a query string used as a MongoDB filter. Each fires on the bad shape and stays quiet
on its look-alike."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest

from tests.checkrun import findings_of, ids, one
from tests.rules import ENC001, ENC002, INJ001, INJ002, SEC001
from tests.test_checks_nodered import (
    app_of,
    change,
    config,
    function,
    http_in,
    http_request,
    http_response,
    inject,
    nid,
    node,
    tab,
)

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


# -- a vendor token set in a function with no keyword naming it --------------------------------
# made up here: "ptr_" and 32 bytes in base64, the shape Portainer's API access tokens have
PORTAINER = "ptr_" + base64.b64encode(hashlib.sha256(b"blind set 5").digest()).decode()


def _configuration(code: str) -> list[dict[str, Any]]:
    return [tab(), inject("go", to=["configure"]), function("configure", code)]


def test_a_portainer_token_set_with_no_keyword_is_sec001() -> None:
    found = one(findings_of(SEC001, app_of(_configuration(
        f'msg.payload = "{PORTAINER}";\nmsg.serverUrl = "https://docker-admin.example.net";'
        "\nreturn msg;"))))
    assert found.resource.id == nid("configure")
    assert found.evidence["kind"] == "Portainer Access Token"
    assert PORTAINER not in str(found.evidence) and PORTAINER not in found.message


@pytest.mark.parametrize("code", [
    "const ptr_offset = 4096;\nmsg.payload = ptr_offset;\nreturn msg;",
    'msg.payload = "ptr_" + env.get("PORTAINER_TOKEN");\nreturn msg;',
    f'msg.payload = "my{PORTAINER}";\nreturn msg;',  # no token starts there
])
def test_a_ptr_identifier_or_a_token_from_the_environment_is_quiet(code: str) -> None:
    assert findings_of(SEC001, app_of(_configuration(code))) == []


# -- a published demo default ---------------------------------------------------------------
def _enroll(password: str) -> list[dict[str, Any]]:
    rules = [{"t": "set", "p": "payload", "pt": "msg", "tot": "json",
              "to": json.dumps({"adminName": "admin", "password": password})}]
    return [tab(), inject("go", to=["enroll"]),
            node("enroll", "change", name="enroll admin", rules=rules, wires=[[]])]


def test_the_fabric_samples_ca_admin_password_is_a_published_default() -> None:
    assert findings_of(SEC001, app_of(_enroll("adminpw"))) == []


def test_an_admin_password_of_its_own_is_still_sec001() -> None:
    assert ids(findings_of(SEC001, app_of(_enroll("ledger-Admin-7731")))) == {nid("enroll")}


# -- a test request to the documentation domain ------------------------------------------------
@pytest.mark.parametrize(("url", "reported"), [
    ("http://example.com", False), ("http://www.example.org/", False),
    ("http://api.partner.example.com/orders", True),  # a stand-in for a partner's server
    ("http://example.com.attacker-cdn.net/x", True),
])
def test_a_test_get_to_example_com_is_no_cleartext_finding(url: str, reported: bool) -> None:
    flows = [tab(), inject("try", to=["get"]), http_request("get", url, method="GET")]
    assert bool(findings_of(ENC001, app_of(flows))) is reported


# -- a query string used as a MongoDB filter ----------------------------------------------------
def _people_api(operation: str, *, ntype: str = "mongodb-read",
                query_to_payload: bool = True) -> list[dict[str, Any]]:
    """GET /people: the parsed query string becomes the filter of a read of the people."""
    to_filter = {"tot": "msg", "to": "req.query"} if query_to_payload else \
        {"tot": "json", "to": '{"active": true}'}
    prepare = change("filter", rules=[{"t": "set", "p": "payload", "pt": "msg", **to_filter}],
                     to=["read"])
    config_key = "server" if ntype == "mongodb-read" else "mongodb"
    return [tab(), config("mdb", "mongodb-configuration", hostname="mongo", port="27017",
                          db="registry"),
            http_in("in", "/people", method="get", to=["filter"]), prepare,
            node("read", ntype, collection="people", operation=operation,
                 **{config_key: nid("mdb")}, wires=[["ok"]]), http_response("ok")]


@pytest.mark.parametrize("ntype", ["mongodb-read", "mongodb in"])
def test_a_query_string_as_a_mongodb_find_filter_is_inj001(ntype: str) -> None:
    found = one(findings_of(INJ001, app_of(_people_api("find", ntype=ntype))))
    assert found.resource.id == nid("read")
    assert found.evidence["sink"] == "query"
    assert found.evidence["route"][0] == nid("in")


def test_a_fixed_mongodb_filter_or_an_operation_without_one_is_quiet() -> None:
    assert findings_of(INJ001, app_of(_people_api("find", query_to_payload=False))) == []
    assert findings_of(INJ001, app_of(_people_api("insertOne"))) == []
