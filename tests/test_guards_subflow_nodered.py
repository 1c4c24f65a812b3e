"""A caller check inside a Node-RED subflow instance (issue 11, blind set 5): a REST back-end
whose routes each pass a "Verify token" subflow first, which verifies the bearer token and
answers 403 otherwise. Such a route is guarded (AUTH004, not AUTH001) only when the subflow
shows its refusal and the route goes on from the check's side of the subflow. Distilled in
our own words from a real back-end."""

from __future__ import annotations

from typing import Any

from tests.checkrun import findings_of, ids, one
from tests.rules import AUTH001, AUTH004, EXP002
from tests.test_checks_nodered import app_of, function, http_in, http_response, nid, node, tab

GUARD_SUBFLOW = nid("subflow:Verify token")

VERIFY_TOKEN = """const jwt = global.get('jsonwebtoken');
const token = (msg.req.headers.authorization || '').split(' ')[1];
try {
    msg.user = jwt.verify(token, env.get('JWT_SECRET'));
    return [msg, null];
} catch (err) {
    msg.statusCode = 403;
    msg.payload = { error: 'invalid token' };
    return [null, msg];
}"""


def _guard_subflow(in_to: str, out_from: str) -> dict[str, Any]:
    return {"id": GUARD_SUBFLOW, "type": "subflow", "name": "Verify token", "info": "",
            "category": "", "in": [{"x": 60, "y": 80, "wires": [{"id": nid(in_to)}]}],
            "out": [{"x": 420, "y": 80, "wires": [{"id": out_from, "port": 0}]}],
            "env": [], "meta": {}, "color": "#DDAA99"}


def _verifier(code: str = VERIFY_TOKEN, *, outputs: int = 2,
              wires: list[list[str]] | None = None) -> dict[str, Any]:
    step = function("verify", code, z=GUARD_SUBFLOW)
    step.update(name="Verify token", outputs=outputs,
                wires=[[nid(t) for t in port] for port in (wires or [[], ["refuse"]])])
    return step


def _api(*inside: dict[str, Any], in_to: str = "verify", out_from: str = "verify",
         routes: tuple[str, ...] = ("/members", "/activities")) -> list[dict[str, Any]]:
    """Routes that each pass an instance of the guard subflow, then write and answer."""
    out = nid(out_from) if out_from != "input" else GUARD_SUBFLOW
    flows = [tab(), _guard_subflow(in_to, out), *inside]
    for route in routes:
        key = route.strip("/")
        flows += [http_in(f"in-{key}", route, to=[f"check-{key}"]),
                  node(f"check-{key}", f"subflow:{GUARD_SUBFLOW}", env=[],
                       wires=[[nid(f"save-{key}")]]),
                  function(f"save-{key}", f"global.set('{key}', msg.payload);\nreturn msg;",
                           to=[f"ok-{key}"]),
                  http_response(f"ok-{key}")]
    return flows


def _refuse() -> dict[str, Any]:
    return node("refuse", "http response", z=GUARD_SUBFLOW, name="Send error", statusCode="",
                headers={})


def test_routes_passing_a_verifying_subflow_first_are_guarded() -> None:
    app = app_of(_api(_verifier(), _refuse()))
    assert findings_of(AUTH001, app) == []
    found = findings_of(AUTH004, app)
    assert ids(found) == {nid("in-members"), nid("in-activities")}
    assert found[0].evidence["guard"] == {
        "step": nid("verify"), "name": "Verify token", "type": "function",
        "compares": "header authorization, a signature computed in code (HMAC/JWT) in "
                    "subflow 'Verify token'",
        "on_failure": "sets 403 in code and answers it ('Send error')"}


def test_a_subflow_answering_403_on_its_own_response_node_is_a_refusal() -> None:
    refuse = node("refuse", "http response", z=GUARD_SUBFLOW, name="Forbidden",
                  statusCode="403", headers={})
    code = VERIFY_TOKEN.replace("msg.statusCode = 403;\n    ", "")
    found = one(findings_of(AUTH004, app_of(_api(_verifier(code), refuse,
                                                    routes=("/members",)))))
    assert found.evidence["guard"]["on_failure"] == "responds 403 ('Forbidden')"


def test_a_subflow_whose_output_is_wired_from_its_input_lets_the_call_through() -> None:
    # the check runs beside the route, not before it: the message leaves unchecked
    app = app_of(_api(_verifier(), _refuse(), out_from="input"))
    assert ids(findings_of(AUTH001, app)) == {nid("in-members"), nid("in-activities")}
    assert findings_of(AUTH004, app) == []


def test_a_subflow_that_sends_its_refusal_on_to_the_route_is_no_guard() -> None:
    # one output: the 403 is set but the message still leaves for the route; no refusal shown
    code = VERIFY_TOKEN.replace("return [msg, null];", "return msg;").replace(
        "return [null, msg];", "return msg;")
    app = app_of(_api(_verifier(code, outputs=1, wires=[[]])))
    assert ids(findings_of(AUTH001, app)) == {nid("in-members"), nid("in-activities")}


def test_a_subflow_that_only_logs_the_token_is_no_guard() -> None:
    code = "node.warn(msg.req.headers.authorization);\nreturn [msg, null];"
    app = app_of(_api(_verifier(code), _refuse()))
    assert ids(findings_of(AUTH001, app)) == {nid("in-members"), nid("in-activities")}


def test_a_route_leaving_the_subflow_before_its_check_is_open() -> None:
    # the subflow's output is wired from a step that runs before the token is verified
    tidy = node("tidy", "change", z=GUARD_SUBFLOW, name="tidy",
                rules=[{"t": "set", "p": "topic", "pt": "msg", "to": "api", "tot": "str"}],
                wires=[["verify"]])
    app = app_of(_api(tidy, _verifier(), _refuse(), in_to="tidy", out_from="tidy"))
    assert ids(findings_of(AUTH001, app)) == {nid("in-members"), nid("in-activities")}
    assert findings_of(AUTH004, app) == []


# A session check (issue 11, blind set 7): the subflow takes the session token from a request
# header, looks its session up in Redis, and a function decides on the answer: a session goes
# on, none is answered 401 inside the subflow. Our own shape, distilled from a real back-end.
READ_TOKEN = "msg.payload = [msg.req.headers.sessiontoken];\nreturn msg;"
DECIDE = """const session = JSON.parse(msg.payload);
if (session) {
    msg.session = session;
    return [msg, null];
}
return [null, msg];"""


def _session_check(lookup: str = "get") -> list[dict[str, Any]]:
    return [function("read", READ_TOKEN, z=GUARD_SUBFLOW, to=["lookup"]),
            node("lookup", "redis-command", z=GUARD_SUBFLOW, command=lookup, topic="",
                 wires=[["verify"]]),
            _verifier(DECIDE, wires=[[], ["deny"]]),
            function("deny", "msg.statusCode = 401;\nreturn msg;", z=GUARD_SUBFLOW,
                     to=["refuse"]),
            _refuse()]


def test_a_subflow_looking_the_token_up_in_a_store_and_refusing_is_a_guard() -> None:
    app = app_of(_api(*_session_check(), in_to="read", routes=("/members",)))
    assert findings_of(AUTH001, app) == []
    found = one(findings_of(AUTH004, app))
    assert found.evidence["guard"]["compares"] == (
        "header sessiontoken (read in step 'read') in subflow 'Verify token'")


def test_a_token_lookup_without_a_refusal_is_no_guard() -> None:
    # the same lookup, but a missing session goes on to the route like a found one
    inside = _session_check()
    inside[2] = _verifier(DECIDE.replace("return [null, msg];", "return [msg, null];"),
                          wires=[[], []])
    app = app_of(_api(*inside, in_to="read", routes=("/members",)))
    assert ids(findings_of(AUTH001, app)) == {nid("in-members")}


def test_a_token_written_to_the_store_is_no_lookup() -> None:
    # a write command (set) answers "OK", not the session: nothing is checked
    app = app_of(_api(*_session_check("set"), in_to="read", routes=("/members",)))
    assert ids(findings_of(AUTH001, app)) == {nid("in-members")}


# EXP002 (issue 11, blind set 7): the session the check looks up by the caller's own token
# reaches the answer with the rest of the message; it is whoever holds the token's session,
# not a download of the store. The same lookup with no refusal after it is one.
def test_the_session_lookup_of_a_check_is_not_served_data() -> None:
    app = app_of(_api(*_session_check(), in_to="read", routes=("/members",)))
    assert findings_of(EXP002, app) == []


def test_a_lookup_no_check_refuses_on_is_served_data() -> None:
    # without a session the caller is answered 200 all the same: nothing is checked
    inside = _session_check()
    inside[3] = function("deny", "msg.statusCode = 200;\nreturn msg;", z=GUARD_SUBFLOW,
                         to=["refuse"])
    app = app_of(_api(*inside, in_to="read", routes=("/members",)))
    assert ids(findings_of(AUTH001, app)) == {nid("in-members")}
    found = one(findings_of(EXP002, app))
    assert found.resource.id == nid("lookup") and found.evidence["endpoint"] == "/members"
