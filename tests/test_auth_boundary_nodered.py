"""Node-RED routes that are the authentication itself, and routes that only serve the app's
own fixed files (issue 11). A login that compares the password a caller sends with the one
stored in the user's row, a change of password that checks the current one first, and a route
whose reusable flow checks the Authorization header are in-flow checks (AUTH004's), not open
doors; a route that reads a fixed catalogue the app never writes is read-only. Each test fires
on the bad shape and stays quiet on the look-alike; the flows are written here, distilled from
deployments a reviewer triaged."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of, ids, one
from tests.rules import AUTH001, AUTH004, INJ001
from tests.test_checks_nodered import (
    app_of,
    file_in,
    file_out,
    function,
    http_in,
    http_response,
    nid,
    node,
    tab,
)


def _answer(key: str, status: str) -> dict[str, Any]:
    return node(key, "http response", name=key, statusCode=status, headers={})


# -- a login comparing the submitted password with the stored one ---------------------------
LOOKUP = ("flow.set('login', msg.payload);\n"
          "msg.topic = `SELECT * FROM user WHERE username = \"${msg.payload.username}\"`;\n"
          "return msg;")
COMPARE = ("var sent = flow.get('login');\nvar stored = msg.payload[0].password;\n"
           "if (sent.password === stored) {\n"
           "    msg.payload = { token: msg.payload[0].uuid };\n} else {\n"
           "    msg.payload = 'False';\n}\nreturn msg;")


def _login(compare: str, refused: str = "400", *, before: str = "") -> list[dict[str, Any]]:
    """POST /login -> build the lookup -> mysql -> compare -> switch -> 200 or ``refused``."""
    first = ["extra"] if before else ["lookup"]
    flows = [tab(), http_in("in", "/login", to=first),
             function("lookup", LOOKUP, to=["db"]),
             node("db", "mysql", mydb=nid("db-config"), wires=[["compare"]]),
             function("compare", compare, to=["ok?"]),
             node("ok?", "switch", property="payload", propertyType="msg",
                  rules=[{"t": "neq", "v": "False", "vt": "str"},
                         {"t": "eq", "v": "False", "vt": "str"}], checkall="true",
                  outputs=2, wires=[["ok"], ["refused"]]),
             _answer("ok", "200"), _answer("refused", refused)]
    if before:
        flows.append(node("extra", before, name="extra", url="https://example.org/hook",
                          method="POST", wires=[["lookup"]]))
    return flows


def test_a_login_comparing_the_stored_password_is_the_authentication_itself() -> None:
    app = app_of(_login(COMPARE))
    assert findings_of(AUTH001, app) == []
    reviewed = one(findings_of(AUTH004, app))
    assert "against the one stored in the user's row" in reviewed.message
    assert reviewed.evidence["guard"]["on_failure"] == "answers 400 ('refused') when it differs"
    # the lookup runs before the comparison: its injection is anyone's, not a caller's with a
    # credential
    injected = one(findings_of(INJ001, app))
    assert injected.evidence["caller"].startswith("anyone")


def test_login_lookalikes_stay_open() -> None:
    """A comparison with no refusing answer, a password compared with no stored row, or a
    request sent out before the check, is no login check."""
    accepts_all = _login(COMPARE, refused="200")
    no_row = _login(COMPARE.replace("msg.payload[0].password", "'letmein'"))
    no_row = [n for n in no_row if n["id"] != nid("db")] + [
        node("db", "change", rules=[], wires=[["compare"]])]
    acts_first = _login(COMPARE, before="http request")
    for flows in (accepts_all, no_row, acts_first):
        app = app_of(flows)
        assert ids(findings_of(AUTH001, app)) == {nid("in")}
        assert findings_of(AUTH004, app) == []


# -- a change of password that checks the current one first -----------------------------------
def _change_password(rule_value: str) -> list[dict[str, Any]]:
    """POST /change_password -> select the user's row -> switch: the current password equals
    the stored one, else 400 -> update -> 200."""
    return [tab(), http_in("in", "/change_password", to=["select"]),
            function("select", "msg.current = msg.payload.currentPassword;\n"
                     "msg.next = msg.payload.newPassword;\n"
                     "msg.topic = 'SELECT * FROM user WHERE user_id = ' + msg.payload.user_id;\n"
                     "return msg;", to=["db"]),
            node("db", "mysql", mydb=nid("db-config"), wires=[["same?"]]),
            node("same?", "switch", property="current", propertyType="msg",
                 rules=[{"t": "eq", "v": rule_value, "vt": "msg"}, {"t": "else"}],
                 checkall="true", outputs=2, wires=[["update"], ["refused"]]),
            function("update", "msg.topic = 'UPDATE user SET password = ?';\n"
                     "msg.payload = [msg.next];\nreturn msg;", to=["write"]),
            node("write", "mysql", mydb=nid("db-config"), wires=[["ok"]]),
            _answer("ok", "200"), _answer("refused", "400")]


def test_a_password_change_checking_the_current_password_is_an_in_flow_check() -> None:
    app = app_of(_change_password("payload[0].password"))
    assert findings_of(AUTH001, app) == []
    assert "against the one stored" in one(findings_of(AUTH004, app)).message


def test_a_password_change_checking_another_field_stays_open() -> None:
    app = app_of(_change_password("payload[0].user_id"))
    assert ids(findings_of(AUTH001, app)) == {nid("in")}
    assert findings_of(AUTH004, app) == []


# -- a reusable flow (node-red-contrib-reusable-flows) checking the Authorization header -------
BASIC_AUTH = ("let sent = msg.req.headers['authorization'] || '';\n"
              "let users = global.get('UserRegistry') || {};\n"
              "if (sent.startsWith('Basic ') && users[sent.slice(6)]) {\n"
              "    node.send([msg, null]);\n} else {\n"
              "    msg.statusCode = 401;\n    msg.payload = 'Unauthorized';\n"
              "    node.send([null, msg]);\n}\nnode.done();")


def _reusable_route(check: str, target: str = "basic auth") -> list[dict[str, Any]]:
    """GET /orders -> reusable 'basic auth' (its flow: reusable-in -> check -> authorized or
    unauthorized) -> the orders on the first output, the refusal's answer on the second."""
    checker = function("check", check)
    checker["outputs"], checker["wires"] = 2, [[nid("authorized")], [nid("unauthorized")]]
    return [tab(), http_in("in", "/orders", method="get", to=["call"]),
            node("call", "reusable", target=target, outputs=2,
                 wires=[["orders"], ["answer"]]),
            node("flow-in", "reusable-in", name="basic auth", scope="global",
                 wires=[["check"]]),
            checker,
            node("authorized", "reusable-out", name="authorized", position=1),
            node("unauthorized", "reusable-out", name="unauthorized", position="2"),
            file_in("orders", "/srv/orders.json", to=["answer"]),
            http_response("answer")]


def test_a_reusable_flow_checking_the_authorization_header_guards_the_route() -> None:
    app = app_of(_reusable_route(BASIC_AUTH))
    assert findings_of(AUTH001, app) == []
    reviewed = one(findings_of(AUTH004, app))
    assert "checks header authorization" in reviewed.message
    assert "sets 401 in code and answers it" in reviewed.message


def test_a_reusable_flow_that_checks_nothing_leaves_the_route_open() -> None:
    lets_through = BASIC_AUTH.replace("msg.req.headers['authorization']", "msg.payload.name")
    for flows in (_reusable_route(lets_through), _reusable_route(BASIC_AUTH, "other flow")):
        app = app_of(flows)
        assert ids(findings_of(AUTH001, app)) == {nid("in")}
        assert findings_of(AUTH004, app) == []


# -- a fixed file the app never writes ---------------------------------------------------------
def _catalogue_route(reader: dict[str, Any], *extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [tab(), http_in("in", "/icons", method="get", to=["read"]), reader,
            http_response("answer"), *extra]


FS_READ = ("msg.payload = JSON.parse(fs.readFileSync('/data/icon-catalog.json', 'utf8'));\n"
           "return msg;")
FS = [{"var": "fs", "module": "fs"}]


def test_a_route_serving_a_fixed_catalogue_is_read_only() -> None:
    for reader in (function("read", FS_READ, to=["answer"], libs=FS),
                   file_in("read", "/data/icon-catalog.json", to=["answer"])):
        app = app_of(_catalogue_route(reader))
        assert findings_of(AUTH001, app) == []


def test_fixed_file_lookalikes_stay_open() -> None:
    """A file of people, a data or secret file, a path from the request, a file the app
    writes itself, or code that also writes, keeps the route AUTH001's."""
    readers = [
        function("read", FS_READ.replace("icon-catalog.json", "users.json"), to=["answer"],
                 libs=FS),
        function("read", FS_READ.replace("icon-catalog.json", "export.csv"), to=["answer"],
                 libs=FS),
        function("read", "msg.payload = fs.readFileSync('/data/' + msg.req.query.f);\n"
                 "return msg;", to=["answer"], libs=FS),
        function("read", FS_READ + "\nfs.writeFileSync('/data/seen', '1');", to=["answer"],
                 libs=FS),
    ]
    for reader in readers:
        assert ids(findings_of(AUTH001, app_of(_catalogue_route(reader)))) == {nid("in")}
    written = _catalogue_route(file_in("read", "/data/icon-catalog.json", to=["answer"]),
                               http_in("post", "/icons", to=["save"]),
                               file_out("save", "/data/icon-catalog.json"))
    assert nid("in") in ids(findings_of(AUTH001, app_of(written)))


# -- a world map of a public feed ----------------------------------------------------------------
def _map(feed_url: str, *, back_to: str = "log") -> list[dict[str, Any]]:
    """inject -> GET feed_url -> json -> worldmap /worldmap; what its page sends (worldmap in)
    goes to ``back_to``."""
    flows = [tab(), node("tick", "inject", props=[{"p": "payload"}], repeat="3600",
                         wires=[["feed"]]),
             node("feed", "http request", name="contributors", method="GET", ret="obj",
                  paytoqs="ignore", url=feed_url, tls="", persist=False, proxy="",
                  authType="", senderr=False, headers=[], wires=[["map"]]),
             node("map", "worldmap", name="World Map", path="/worldmap", allowFileDrop=False),
             node("events", "worldmap in", path="/worldmap", events="all", wires=[[back_to]]),
             node("log", "debug", active=True, tosidebar=True, complete="false")]
    if back_to != "log":
        flows.append(node(back_to, "exec", command="say", addpay="payload", append=""))
    return flows


def test_a_world_map_of_a_public_feed_is_read_only() -> None:
    app = app_of(_map("https://raw.githubusercontent.com/org/repo/master/contributors.json"))
    assert findings_of(AUTH001, app) == []


def test_world_map_lookalikes_stay_open() -> None:
    """A map of what a local service reports, or one whose page's events reach a command,
    is reported."""
    for flows in (_map("http://192.168.1.20/positions.json"),
                  _map("https://raw.githubusercontent.com/org/repo/master/contributors.json",
                       back_to="run")):
        assert ids(findings_of(AUTH001, app_of(flows))) == {nid("map")}
