"""Node-RED file names and query values whose origin the flow fixes: the files a watch node
reports under its fixed folder, an HMAC digest, the constant keys of an object a flow keeps in
global context while other keys of it take file contents; and a path past a base URL the app
builds from its host's own network address. Distilled from real flows, in our own words, both
directions."""

from __future__ import annotations

from typing import Any

from pytest_nocode.dataflow import FETCH_PATH
from tests.checkrun import findings_of, one
from tests.rules import INJ001, INJ002
from tests.test_checks_nodered import app_of, nid, node, tab


def _fn(key: str, code: str, to: list[str]) -> dict[str, Any]:
    return node(key, "function", name=key, func=code, outputs=1, wires=[to])


def _file_in(key: str, prop: str, to: list[str] | None = None) -> dict[str, Any]:
    return node(key, "file in", filename=prop, filenameType="msg", format="utf8",
                wires=[to or []])


# -- watch --------------------------------------------------------------------------------------
def _watched(source: dict[str, Any]) -> list[dict[str, Any]]:
    return [tab(), source,
            _fn("split", 'msg.filename = msg.payload;\nmsg.base = msg.payload.split("/").pop();'
                "\nreturn msg;", ["read"]),
            _file_in("read", "filename")]


def test_the_files_a_watch_node_reports_under_its_folder_are_no_outside_input() -> None:
    watch = node("w", "watch", files="/srv/plant/line1", recursive="", wires=[["split"]])
    assert findings_of(INJ002, app_of(_watched(watch))) == []


def test_a_file_name_from_a_node_of_unknown_kind_is_still_reported() -> None:
    other = node("w", "folder-spy", folder="/srv/plant/line1", wires=[["split"]])
    assert one(findings_of(INJ002, app_of(_watched(other)))).resource.id == nid("read")


# -- hmac ---------------------------------------------------------------------------------------
def _signed(sign: dict[str, Any]) -> list[dict[str, Any]]:
    return [tab(),
            node("mk", "inject", name="new user", props=[{"p": "payload"}, {"p": "topic",
                                                                           "vt": "str"}],
                 topic="ops", payload="hunter2", payloadType="str", wires=[["sign"]]),
            sign,
            _fn("sql", "msg.topic = `INSERT INTO users (name, pw) VALUES ('${msg.topic}', "
                "'${msg.payload}')`;\nreturn msg;", ["db"]),
            node("db", "mysql", mydb="", wires=[[]])]


def test_an_hmac_digest_of_constants_spliced_into_sql_is_not_reported() -> None:
    sign = node("sign", "hmac", algorithm="HmacSHA256", key="k", wires=[["sql"]])
    assert findings_of(INJ002, app_of(_signed(sign))) == []


def test_output_of_an_unknown_node_spliced_into_sql_is_reported() -> None:
    sign = node("sign", "crypto-box", algorithm="aes", key="k", wires=[["sql"]])
    assert one(findings_of(INJ002, app_of(_signed(sign)))).resource.id == nid("db")


# -- object kept in global context, some keys set apart -----------------------------------------
SETUP = ('msg.conf = { table_file: "/data/table.csv", other_file: "/data/other.csv", '
         "limit: 3 };\nglobal.set(\"CONF\", msg.conf);\nreturn msg;")
LOAD = 'msg.conf = global.get("CONF");\nreturn msg;'
STORE_TABLE = 'msg.conf.table = msg.payload;\nglobal.set("CONF", msg.conf);\nreturn msg;'


def _kept(store_table: str, read_prop: str) -> list[dict[str, Any]]:
    return [tab(),
            node("start", "inject", props=[{"p": "payload"}], payload="", payloadType="date",
                 once=True, wires=[["setup"]]),
            _fn("setup", SETUP, ["load"]),
            _fn("load", LOAD, ["read"]),
            _file_in("read", "conf.table_file", ["keep"]),
            _fn("keep", store_table, ["load2"]),
            _fn("load2", LOAD, ["read2"]),
            _file_in("read2", read_prop)]


def test_a_constant_key_of_a_kept_object_stays_constant_beside_file_contents() -> None:
    assert findings_of(INJ002, app_of(_kept(STORE_TABLE, "conf.other_file"))) == []


def test_the_key_that_holds_file_contents_still_names_a_file_of_unknown_origin() -> None:
    found = findings_of(INJ002, app_of(_kept(STORE_TABLE, "conf.table")))
    assert one(found).resource.id == nid("read2")


def test_an_object_kept_after_setting_it_whole_from_file_contents_is_reported() -> None:
    whole = 'msg.conf = msg.payload;\nglobal.set("CONF", msg.conf);\nreturn msg;'
    found = findings_of(INJ002, app_of(_kept(whole, "conf.other_file")))
    assert {f.resource.id for f in found} >= {nid("read2")}


# -- a path past a base URL built from the host's own network address ---------------------------
LOOPBACK_BASE = "global.set('baseUrl', 'http://localhost:8000/v1');\nreturn msg;"
NETWORK_BASE = """const os = global.get('os');
let ip = 'localhost';
const nets = os.networkInterfaces();
for (const name in nets) {
    for (const a of nets[name]) {
        if (a.family === 'IPv4' && !a.internal) { ip = a.address; }
    }
}
global.set('baseUrl', `http://${ip}:8000/v1`);
return msg;"""
PATH_BUILD = ("const base = global.get('baseUrl');\n"
              "msg.url = `${base}/lamps/${msg.payload.lamp}/level`;\nreturn msg;")


def _base_path(setup: str, auth: str = "") -> list[dict[str, Any]]:
    return [tab(),
            node("boot", "inject", props=[{"p": "payload"}], payload="", payloadType="date",
                 once=True, wires=[["setup"]]),
            _fn("setup", setup, []),
            node("route", "http in", url="/lamp", method="post", wires=[["build"]]),
            _fn("build", PATH_BUILD, ["send"]),
            node("send", "http request", method="use", ret="obj", paytoqs="ignore", url="",
                 authType=auth, headers=[], wires=[[]])]


def test_a_path_to_the_hosts_own_network_address_steers_nothing_its_callers_lack() -> None:
    assert findings_of(INJ001, app_of(_base_path(NETWORK_BASE))) == []


def test_a_path_to_a_loopback_only_base_is_still_reported() -> None:
    f = one(findings_of(INJ001, app_of(_base_path(LOOPBACK_BASE))))
    assert f.evidence["parameter"] == FETCH_PATH


def test_a_path_to_the_hosts_address_with_the_apps_credentials_is_still_reported() -> None:
    f = one(findings_of(INJ001, app_of(_base_path(NETWORK_BASE, auth="basic"))))
    assert f.evidence["parameter"] == FETCH_PATH
