"""Each secret filter and detector on real-world shapes, both directions.

Every filter case pairs a look-alike the named filter rules out with the secret shape it must
let through (judged by the whole table, so no other filter swallows it either). The scanner
cases below check the context rules that are not one value alone: documentation steps,
n8n expressions, vendor credential names, config nodes, one finding per value. All values
are made up for these tests.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest

from pytest_nocode.model import App, Step
from pytest_nocode.secretscan import find_secrets, is_secret_name
from pytest_nocode.secretscan.detectors import TEXT_DETECTORS
from pytest_nocode.secretscan.filters import (
    SHAPE_FILTERS,
    VALUE_FILTERS,
    Candidate,
    first_filter,
    literal,
)


@dataclass(frozen=True)
class FilterCase:
    filter: str  # the filter that must rule `lookalike` out
    name: str  # the secret name it sits under
    lookalike: str
    secret: str  # a real shape under the same name: no filter may rule it out


def _jwt(claims: dict[str, Any]) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.Qw3rTy7UiOp9AsDfGh2JkLz"


VALUE_CASES = [
    FilterCase("n8n expression", "apiKey", "={{ $('Config').item.json.apiKey }}",
               "gq7Vd2Lx9Rb4Tn6Wm1Pz"),
    FilterCase("n8n expression", "Authorization", "Bearer={{$credentials.crm.apiKey}}",
               "Bearer 7Fh2Kd9Lq4Zp1Xw8Vb3Nm6Tc"),
    FilterCase("n8n expression", "token", "={{ $json.token }}", "t0k-93kd83jf72hd"),
    FilterCase("n8n expression", "x-api-key", "prefix-{{ $vars.KEY }}", "k9Lm2Nb4Vc6Xz8Qw"),
    FilterCase("n8n expression", "password", "{{flow.password}}", "Gr33n-Valley-7"),
    FilterCase("templated", "password", "${DB_PASSWORD}", "Pa55-Word-2024"),
    FilterCase("templated", "secret", "<%= secret %>", "hm4c-S3cret-x9"),
    FilterCase("templated", "token", "%API_TOKEN%", "tk_8d7f6g5h4j3k"),
    FilterCase("reference", "token", "msg.payload.token", "f8e7d6c5b4a39281"),
    FilterCase("reference", "apiKey", "ACME_API_KEY", "AcmeKey2024xyz"),
    FilterCase("reference", "password", "$$wordfish", "w0rdF1sh!"),
    # a vendor key that begins with "$" (Asaas: $aact_…) is no variable: its name would be
    # far longer than any a person types
    FilterCase("reference", "access_token", "$ASAAS_ACCESS_TOKEN",
               "$aact_hmlg_" + "Qm9vS3Rv" * 19 + "Zx"),
    FilterCase("property path", "token", "oauth2Response.access_token", "a1b2c3d4e5f6a7b8"),
    FilterCase("property path", "api_key", "excluded.api_key", "zx81qw72er63ty54"),
    FilterCase("step id", "auth", "0f0fc5534fc4c9b5", "0f0fc5534fc4c9b6x"),
    FilterCase("masked", "apiKey", "sk-...", "sk-live-7d8f9g0h1j2k"),
    FilterCase("masked", "token", "xxxxxxxxxxxxxxxx", "x9k8j7h6g5f4d3s2"),
    FilterCase("masked", "password", "********", "Sunny*Day*42"),
    FilterCase("masked", "token", "[token]", "Tok3n-For-Real"),
    FilterCase("placeholder", "apiKey", "YOUR_API_KEY", "Acme_Key_93jf83hf"),
    FilterCase("placeholder", "token", "your-token", "yr-7dk3-9fj2-k3l4"),
    FilterCase("placeholder", "apiKey", "-put-your-api-key-", "put9-Xk2L-m4N6"),
    FilterCase("placeholder", "apiKey", "--SUA-KEY-AQUI--", "SUA9KEY2AQUI7x"),
    FilterCase("placeholder", "password", "changeme", "chang3me-2024!"),
    FilterCase("placeholder", "secret", "REPLACE_ME", "R3place-Me-Not-9"),
    FilterCase("placeholder", "password", "TODO", "todo-8f7d6s5a4"),
    FilterCase("placeholder", "apiKey", "api_key_here", "ak_here_92jd83"),
    FilterCase("placeholder", "wordpressApplicationPassword", "y0ur app1 p4ss w0rd",
               "y7Kq 2mXp 9LrT 4vBn 8cWd 3hJs"),
    FilterCase("placeholder", "apiKey", "put-y0ur-k3y", "P4ssw0rd"),
    FilterCase("placeholder", "credentialSecret", "3nter y0ur s3cret", "my-flow-s3cret"),
    FilterCase("names a secret", "client_secret", "CLIENTSECRET", "CL13NTs3cr3tV4lu3"),
    FilterCase("names a secret", "PRIVATE-TOKEN", "=gitlabToken", "glt-9Kd8Jf7Hg6"),
    FilterCase("names a secret", "pushToken", "push_token_alice", "ExponentPushToken9x8"),
    FilterCase("names a secret", "payload", "testpassword", "t3stp4ssw0rd!"),
    FilterCase("names a secret", "secret", "basic-auth-user", "Token kit-wide-secret-token"),
    FilterCase("application name", "session", "SurveillanceStation", "Sv7Kq2Lm9Xw4Pz"),
    FilterCase("application name", "token", "FileStation", "FileStation42x"),
    FilterCase("phrase", "password", "orders_db_main_pw", "orders_db_main_pw42"),
    FilterCase("placeholder", "password", "mon_mot_de_passe_fort", "mon_mot_de_passe_42"),
    FilterCase("option word", "authMechanism", "SCRAM-SHA-256", "SCRAM-9f8e7d6c"),
    FilterCase("echoes its name", "SecretToken", "secrettoken", "S3cretT0ken-92"),
    FilterCase("placeholder", "password", "test", "t3st-2024!"),
    FilterCase("option word", "auth", "headerAuth", "h3aderAuth-92jd"),
    FilterCase("status word", "tokenState", "expired", "exp1red-9d8f7g"),
    FilterCase("status word", "pass", "MISSING", "M1ss1ng-Pw!"),
    FilterCase("password hash", "password",
               "$2b$10$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
               "$ecret-Pa55"),
    FilterCase("url or path", "privateKey", "/etc/ssl/private/server.key", "pr1v-K3y-92jd"),
    FilterCase("timestamp", "tokenIssued", "2024-05-01T10:00:00Z", "2024-Tok-9f8e7d"),
    FilterCase("sequential", "password", "123456789", "1357924680x"),
    FilterCase("no letters in token", "chat_token", "-1001234567891", "-100123abc4567"),
    FilterCase("blockchain address", "token",
               "0x" + "a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
               "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"),
    FilterCase("public default", "community", "public", "s3cr3t-c0mmunity"),
    FilterCase("not a PIN", "pin", "GPIO17", "4711"),
    FilterCase("not a PIN", "simPin", "D4-pin", "90210"),
    FilterCase("not a login pair", "X-M2M-Origin", "CAdmin", "ops:Gr33n-Valley"),
    FilterCase("not a login pair", "headers.X-M2M-Origin", "Cae-sensor-7", "ops:Gr33n-Valley"),
    FilterCase("prose", "password", "kept in the vault since 2024",
               "abcd EFGH ijkl MNOP qrst UVWX"),
    FilterCase("fragment", "token", "+ token", "t0ken+Plus9x"),
    FilterCase("length", "token", "ab12", "ab12cd34"),
    FilterCase("published default", "credential", "JZEOEt2V3Qb0y27GRntt2u2PAYA=",
               "Qm8vT2xLr5Zp0Wc3Ny7Bd1Kf4Hs="),
    FilterCase("published default", "clientSecret", "tutorial-dckr-site-0000-clientsecret",
               "orders-dckr-site-7731-k8Qz2Lm4Wx"),
    FilterCase("published default", "password", "Pa$$w0rd", "Pa$$-Harbour-93"),
    FilterCase("published default", "bearer",
               base64.b64encode(b"tutorial-dckr-site-0000-xpresswebapp:"
                                b"tutorial-dckr-site-0000-clientsecret").decode(),
               base64.b64encode(b"tutorial-dckr-site-0000-xpresswebapp:"
                                b"Lm4Wx9k8Qz2-orders").decode()),
    FilterCase("code keyword", "mavlink.messages.auth_key", "function", "Zq8Wm3Lx7Rt2"),
]


@pytest.mark.parametrize("case", VALUE_CASES, ids=lambda c: f"{c.filter}:{c.lookalike[:24]}")
def test_value_filter_rules_out_the_lookalike_and_keeps_the_secret(case: FilterCase) -> None:
    text = case.lookalike.strip().lstrip("=").strip()
    if text.lower().startswith("bearer "):
        text = text[7:]
    candidate = Candidate(text, case.lookalike, case.name, _min_len(case.name),
                          frozenset({"0f0fc5534fc4c9b5"}))
    assert first_filter(candidate, VALUE_FILTERS) == case.filter
    assert literal(case.secret, name=case.name, min_len=_min_len(case.name),
                   ids=frozenset({"0f0fc5534fc4c9b5"})) is not None


def _min_len(name: str) -> int:
    from pytest_nocode.secretscan.names import min_length
    return min_length(name)


def test_every_filter_has_a_case() -> None:
    names = {c.filter for c in VALUE_CASES} | {c.filter for c in SHAPE_CASES}
    assert names == {n for n, _ in VALUE_FILTERS} | {n for n, _ in SHAPE_FILTERS}


SHAPE_CASES = [
    FilterCase("documented example", "", "AKIA" + "IOSFODNN7" + "EXAMPLE",
               "AKIA" + "Q3X7Z9K2M4P6R8T1"),
    FilterCase("masked token", "", "ghp_" + "x" * 36, "ghp_" + "Zt4Rb8Wc1Vn6" * 3),
    FilterCase("Twilio account SID", "", "AC" + "4f9a8c7e6d5b4a3c2b1a0f9e8d7c6b5a",
               "SK" + "4f9a8c7e6d5b4a3c2b1a0f9e8d7c6b5a"),
    FilterCase("sample or public JWT", "",
               _jwt({"sub": "1234567890", "name": "John Doe", "iat": 1516239022}),
               _jwt({"sub": "svc-orders", "scope": "orders:write"})),
    FilterCase("sample or public JWT", "", _jwt({"iss": "supabase", "role": "anon"}),
               _jwt({"iss": "supabase", "role": "service_role"})),
]


@pytest.mark.parametrize("case", SHAPE_CASES, ids=lambda c: f"{c.filter}:{c.lookalike[:12]}")
def test_shape_filter_rules_out_the_lookalike_and_keeps_the_token(case: FilterCase) -> None:
    assert first_filter(Candidate(case.lookalike, case.lookalike), SHAPE_FILTERS) == case.filter
    assert first_filter(Candidate(case.secret, case.secret), SHAPE_FILTERS) is None
    # and end to end: the token in code is reported, its look-alike is not
    assert _values(nodered("function", func=f'const k = "{case.secret}";')) == [case.secret]
    assert _values(nodered("function", func=f'const k = "{case.lookalike}";')) == []


# -- builders ----------------------------------------------------------------------------------
def nodered(node_type: str, node_id: str = "a1b2c3d4e5f60718", *, z: str = "f0e1d2c3b4a59687",
            **props: Any) -> Step:
    params = {"id": node_id, "type": node_type, "z": z, **props, "wires": [[]]}
    return Step(id=node_id, name="", type=node_type, workflow_id=z, path=f"flows/{node_id}",
                package="node-red", params=params, is_config=not z)


def n8n(node_type: str, **parameters: Any) -> Step:
    return Step(id="5d1c0e3a-77aa-4b1e-9f3c-0c9a8b7d6e5f", name="Node", type=node_type,
                workflow_id="wf", path="workflows/wf/Node", package="n8n-nodes-base",
                params=parameters)


def _values(*steps: Step) -> list[str]:
    app = App(id="t", platform="nodered", name="t", facets=frozenset({"workflows"}),
              steps=steps)
    return [h.value for h in find_secrets(app)]


PEM_BODY = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw" * 2
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----"
GITHUB = "ghp_" + "Qm7Xc2Vb9Nl4" * 3


# -- documentation: sticky notes, comment nodes, info -------------------------------------------
@pytest.mark.parametrize("make", [
    lambda text: n8n("n8n-nodes-base.stickyNote", content=text, height=300, width=400),
    lambda text: nodered("comment", name="How to call the API", info=text),
    lambda text: nodered("function", func="return msg;", info=text),
], ids=["n8n-sticky-note", "nodered-comment", "nodered-info"])
def test_documentation_is_quiet_except_for_strong_shapes(make: Any) -> None:
    howto = ("## Calling the CRM\n"
             "curl -H 'Authorization: Bearer 9f8e7d6c5b4a3f2e1d0c9b8a' https://crm.example\n"
             "apiKey = \"Zq8Wm3Lx7Rt2Yp5K\"\npassword: Hunter-2024!\n"
             "https://ops:Winter2024!@db.example/\n")
    assert _values(make(howto)) == []
    leaked = howto + f"token: {GITHUB}\n{PEM}\n"
    assert sorted(_values(make(leaked))) == sorted([GITHUB, PEM])


def test_a_nodes_own_fields_still_count_next_to_its_info() -> None:
    step = nodered("http request", info="Uses `Bearer <token>`; see the wiki.",
                   url="https://ops:Winter2024!@db.example/")
    assert _values(step) == ["Winter2024!"]


# -- n8n expressions and references -------------------------------------------------------------
def test_a_ternarys_branches_and_expression_lookups_are_not_assignments() -> None:
    quiet = n8n("n8n-nodes-base.code", jsCode=(
        "const h = `{{ $json.ok ? \"PASS\" : \"FAIL\" }}`;\n"
        'return [{json: {check: ok ? "PASS" : "MISSING", header: "{{ $(\'Auth\').item.json'
        '.token }}"}}];'))
    assert _values(quiet) == []
    loud = n8n("n8n-nodes-base.code", jsCode='const apiKey = "Zq8Wm3Lx7Rt2Yp5K";\n'
                                            "const h = `{{ $json.id }}`;")
    assert _values(loud) == ["Zq8Wm3Lx7Rt2Yp5K"]


def test_json_headers_with_an_expression_keep_their_literal_lines() -> None:
    step = n8n("n8n-nodes-base.httpRequest", headerParametersJson=(
        '{\n"Authorization": "Bearer {{$item(0).$node["Login"].json["token"]}}",\n'
        '"X-Api-Key": "ak_7d9f8g7h6j5k4l3"\n}'))
    assert _values(step) == ["ak_7d9f8g7h6j5k4l3"]


# -- names: vendor credential fields, public identifiers ---------------------------------------
@pytest.mark.parametrize(("name", "value"), [
    ("psk", "Qz7-Lm2x-Pw9k"), ("presharedKey", "Qz7-Lm2x-Pw9k"), ("preshared_key", "Qz7Lm2xPw9k"),
    ("passphrase", "Qz7-Lm2x-Pw9k"), ("pin", "80731"), ("simPin", "4711"),
    ("community", "n0c-r34d-2024"), ("wifiPassword", "Qz7-Lm2x-Pw9k"),
    ("apiSecret", "Qz7-Lm2x-Pw9k"), ("clientSecret", "Qz7-Lm2x-Pw9k"),
    ("privateKey", "Qz7-Lm2x-Pw9k"), ("wpaKey", "Qz7-Lm2x-Pw9k")])
def test_vendor_credential_fields_are_secret_names(name: str, value: str) -> None:
    assert is_secret_name(name)
    step = nodered("acme-gateway-config", z="", name="gw", **{name: value})
    assert _values(step) == [value]


@pytest.mark.parametrize("name", ["sessionKey", "flow_token", "authMechanism", "pinMode",
                                  "postman-token", "YOUR_CREDENTIAL_HERE", "gpioPin",
                                  "Secretary", "apiKeyList"])
def test_identifiers_that_sound_like_secrets_are_not(name: str) -> None:
    assert not is_secret_name(name)


def test_gpio_pin_numbers_and_public_snmp_community_are_quiet() -> None:
    assert _values(nodered("rpi-gpio out", pin="12"),
                   nodered("snmp", node_id="b1b2b3b4b5b6b7b8", community="public",
                           host="10.0.0.2")) == []


def test_an_ai_memory_session_key_and_a_whatsapp_flow_token_are_ids() -> None:
    memory = n8n("@n8n/n8n-nodes-langchain.memoryBufferWindow", sessionIdType="customKey",
                 sessionKey="chat-7f3c1c8e2b44")
    flow = n8n("n8n-nodes-base.whatsApp", operation="send", additionalFields={
        "flow_token": "unused-flow-9d8f7g"})
    assert _values(memory, flow) == []


# -- config nodes: a gateway's bare `key` -------------------------------------------------------
def test_a_config_nodes_generated_key_is_a_secret_and_its_file_or_name_is_not() -> None:
    gateway = nodered("acme-gateway-config", z="", address="192.168.1.40",
                      key="7c1e9a4b2d8f6e3a5b0c9d7e1f2a3b4c")
    assert _values(gateway) == ["7c1e9a4b2d8f6e3a5b0c9d7e1f2a3b4c"]
    tls = nodered("tls-config", node_id="c1c2c3c4c5c6c7c8", z="",
                  key="/data/certs/client.key")
    named = nodered("acme-gateway-config", node_id="d1d2d3d4d5d6d7d8", z="", key="livingroom")
    flow_node = nodered("redis-get", node_id="e1e2e3e4e5e6e7e8",
                        key="7c1e9a4b2d8f6e3a5b0c9d7e1f2a3b5d")  # a message-flow node's key
    assert _values(tls, named, flow_node) == []


# -- SQL and field mappings ---------------------------------------------------------------------
def test_sql_column_names_and_bind_parameters_are_not_values() -> None:
    step = n8n("n8n-nodes-base.postgres", operation="executeQuery", query=(
        "INSERT INTO sessions (user_id, token) VALUES ($1, $2)\n"
        "ON CONFLICT (user_id) DO UPDATE SET token = EXCLUDED.token, "
        "api_key = new_api_key_value"))
    assert _values(step) == []
    literal_in_sql = n8n("n8n-nodes-base.postgres", operation="executeQuery",
                         query="UPDATE svc SET api_key = 'Zq8Wm3Lx7Rt2Yp5K' WHERE id = 1")
    assert _values(literal_in_sql) == ["Zq8Wm3Lx7Rt2Yp5K"]


# -- words: an application's name, a kit's default token ---------------------------------------
def test_an_application_name_in_a_login_url_is_not_a_session_token() -> None:
    """Synology's login URL names the application in ``session=``; the password beside it is
    the secret. The same capitalised words under a password are a chosen password."""
    login = nodered("http request", url="https://nas.example:5001/webapi/auth.cgi?api=SYNO.API"
                                        ".Auth&method=login&account=ops&passwd=Gr33n-Tea-42"
                                        "&session=SurveillanceStation&format=sid")
    assert _values(login) == ["Gr33n-Tea-42"]
    chosen = nodered("http request", node_id="b1b2b3b4b5b6b7b8",
                     url="https://nas.example/webapi/auth.cgi?account=ops"
                         "&passwd=CorrectHorseBattery")
    assert _values(chosen) == ["CorrectHorseBattery"]


def _header(value: str, node_id: str = "a1b2c3d4e5f60718") -> Step:
    return nodered("http request", node_id, url="http://localhost:8086/api/v2/delete",
                   headers=[{"keyType": "other", "keyValue": "Authorization",
                             "valueType": "other", "valueValue": value}])


def test_dash_joined_words_after_an_auth_scheme_are_the_token_sent() -> None:
    """A kit that ships one default InfluxDB token for every install writes it as words; the
    header sends it as written. The same words naming which secret to read stay quiet."""
    assert _values(_header("Token shopfloor-kit-secret-token")) == [
        "shopfloor-kit-secret-token"]
    assert _values(_header("Token YOUR-INFLUX-TOKEN"), _header("Bearer accessToken",
                                                               "b1b2b3b4b5b6b7b8")) == []
    docker = nodered("docker-secret-actions", node_id="c1c2c3c4c5c6c7c8",
                     secret="basic-auth-user", action="inspect")
    assert _values(docker) == []


# -- fallbacks typed after a read from the environment or a store -------------------------------
@pytest.mark.parametrize("line", [
    'const clientSecret = env.get("MUSIC_CLIENT_SECRET") || "{v}";',
    'const secret = process.env.MUSIC_SECRET ?? \'{v}\';',
    'const apiKey = flow.get("apiKey") || "{v}";',
    'const s = global.get("music_client_secret") || `{v}`;',
    'const opts = {{ clientSecret: env.get("MUSIC_ID_2") || "{v}" }};',
], ids=["env.get", "process.env", "flow.get", "read-name", "object-property"])
def test_a_literal_fallback_of_a_secret_read_is_typed_in_the_flow(line: str) -> None:
    value = "9c1f7e2ab84d4e6f9a0b3c5d7e8f1a2b"
    fn = nodered("function", func=line.format(v=value) + "\nreturn msg;")
    assert _values(fn) == [value]


def test_an_n8n_code_nodes_env_fallback_is_typed_in_the_workflow() -> None:
    value = "9c1f7e2ab84d4e6f9a0b3c5d7e8f1a2b"
    code = n8n("n8n-nodes-base.code", jsCode=f"const key = $env.MUSIC_API_KEY || '{value}';\n"
                                             "return [{json: {key}}];")
    assert _values(code) == [value]
    read_only = n8n("n8n-nodes-base.code", jsCode="const key = $env.MUSIC_API_KEY;\n"
                                                  "return [{json: {key}}];")
    assert _values(read_only) == []


@pytest.mark.parametrize("line", [
    'const clientSecret = env.get("MUSIC_CLIENT_SECRET") || "YOUR_CLIENT_SECRET";',
    'const clientId = env.get("MUSIC_CLIENT_ID") || "9c1f7e2ab84d4e6f9a0b3c5d7e8f1a2b";',
    'const token = msg.token || "none";',
    'const redirect = env.get("REDIRECT_URI") || "https://music.example/callback";',
    'const secret = env.get("MUSIC_SECRET") || "";',
], ids=["placeholder", "public-id", "fill-in-word", "not-secret-named", "empty"])
def test_a_fallback_that_is_a_fill_in_or_not_a_secret_stays_quiet(line: str) -> None:
    assert _values(nodered("function", func=line + "\nreturn msg;")) == []


# -- evidence -----------------------------------------------------------------------------------
def test_a_numeric_password_in_a_url_is_a_password() -> None:
    """Digits-only is an id under a token's name, but a password may be digits only."""
    assert _values(nodered("http request", url="rtsp://admin:80731942@10.0.0.9/stream")) == [
        "80731942"]
    assert _values(nodered("http request", url="https://api.example/v1?token=80731942")) == []


def test_a_camera_password_in_the_query_is_a_secret() -> None:
    """IP cameras and NVRs take ``user=…&pw=…`` in the query (seen in a real Node-RED flow
    triggering a recording); a placeholder there is documentation."""
    assert _values(nodered("http request", url="http://192.168.0.10:81/admin?camera=door"
                                               "&trigger&user=ha&pw=Gr33n-Tea-42")) == [
        "Gr33n-Tea-42"]
    assert _values(nodered("http request", url="http://nvr.local/admin?user=ha&pw=YOUR_PASSWORD")
                   ) == []


def test_a_query_parameter_is_named_as_written() -> None:
    step = nodered("http request", url="https://api.example/v1?apiKey=Zq8Wm3Lx7Rt2Yp5K")
    app = App(id="t", platform="nodered", name="t", facets=frozenset({"workflows"}),
              steps=(step,))
    assert [h.field for h in find_secrets(app)] == ["url (query apiKey)"]


def test_every_text_detector_is_named_and_documented() -> None:
    assert len({d.name for d in TEXT_DETECTORS}) == len(TEXT_DETECTORS)
    assert all(d.find.__doc__ for d in TEXT_DETECTORS)
    assert all(f.__doc__ for _, f in VALUE_FILTERS + SHAPE_FILTERS)


# -- published defaults, pasted libraries ------------------------------------------------------
def test_a_tutorials_default_client_secret_is_quiet_also_in_its_basic_header() -> None:
    """The FIWARE tutorials' Keyrock application (id and secret the same in every tutorial
    stack) set by an inject, and sent as ``Basic <base64 id:secret>``: public values."""
    basic = base64.b64encode(b"tutorial-dckr-site-0000-xpresswebapp:"
                             b"tutorial-dckr-site-0000-clientsecret").decode()
    props = [{"p": "clientSecret", "v": "tutorial-dckr-site-0000-clientsecret", "vt": "str"},
             {"p": "bearer", "v": f"Basic {basic}", "vt": "str"}]
    assert _values(nodered("inject", props=props)) == []
    own = base64.b64encode(b"tutorial-dckr-site-0000-xpresswebapp:Lm4Wx9k8Qz2-orders").decode()
    props = [{"p": "clientSecret", "v": "Lm4Wx9k8Qz2-orders", "vt": "str"},
             {"p": "bearer", "v": f"Basic {own}", "vt": "str"}]
    assert sorted(_values(nodered("inject", props=props))) == sorted(
        ["Lm4Wx9k8Qz2-orders", own])


def test_a_library_pasted_into_a_template_assigns_code_not_a_key() -> None:
    library = ("<script>\nvar mavlink = {};\n"
               "mavlink.messages.auth_key = function(key) {\n    this.key = key;\n};\n"
               "</script>\n")
    assert _values(nodered("ui_template", format=library)) == []
    leaked = library + "auth_key = Zq8Wm3Lx7Rt2\n"
    assert _values(nodered("ui_template", format=leaked)) == ["Zq8Wm3Lx7Rt2"]


# -- a token in a command line's header --------------------------------------------------------
def test_a_token_in_a_curl_header_is_a_secret_and_its_reference_is_not() -> None:
    command = ("curl -X GET --url 'http://orion.example.org:1026/v2/subscriptions' "
               "-H 'Content-Type: application/json' -H 'X-Auth-Token: {}'")
    steps = [nodered("exec", command=command.format("q7Lm2Xw9Rb4Tn6Vd1Kp8Zs3Hc5"))]
    hits = find_secrets(_app(*steps))
    assert [(h.value, h.kind, h.field) for h in hits] == [
        ("q7Lm2Xw9Rb4Tn6Vd1Kp8Zs3Hc5", "Token in command-line header", "command")]
    for reference in ("$AUTH_TOKEN", "${TOKEN}", "{{token}}"):
        assert _values(nodered("exec", command=command.format(reference))) == []
    wget = "wget --header='X-Api-Key: q7Lm2Xw9Rb4Tn6Vd1Kp8Zs3Hc5' https://api.example.org/x"
    assert _values(nodered("exec", command=wget)) == ["q7Lm2Xw9Rb4Tn6Vd1Kp8Zs3Hc5"]


# -- a key stored under a generic name, used by a request --------------------------------------
NEOGRID_LIKE = "d6pB7SK2LqARJ6KtLaZ2jdrQ6lCOwgV6pU1BLrKr"  # made up, 40 random characters


def _request(url: str, node_id: str = "c0ffee0000000001", z: str = "f0e1d2c3b4a59687",
             **props: Any) -> Step:
    return nodered("http request", node_id, z=z, method="GET", url=url, **props)


def _store_key(value: str, node_id: str = "c0ffee0000000002", z: str = "f0e1d2c3b4a59687",
               store: str = "flow", name: str = "key") -> Step:
    return nodered("change", node_id, z=z,
                   rules=[{"t": "set", "p": name, "pt": store, "to": value, "tot": "str"}])


def _app(*steps: Step) -> App:
    return App(id="t", platform="nodered", name="t", facets=frozenset({"workflows"}),
               steps=steps)


def test_a_random_value_stored_as_the_key_a_request_sends_is_a_secret() -> None:
    """``flow.key`` set to a random literal, read back as ``api_key={{key}}`` of a request
    URL: the name says nothing, the request's use names it."""
    url = "https://api.example.org/v1/locations?api_key={{key}}"
    hits = find_secrets(_app(_store_key(NEOGRID_LIKE), _request(url)))
    assert [(h.step_id, h.field, h.value) for h in hits] == [
        ("c0ffee0000000002", "rules[0].to", NEOGRID_LIKE)]
    inject = nodered("inject", "c0ffee0000000003",
                     props=[{"p": "key", "v": NEOGRID_LIKE, "vt": "str"}, {"p": "payload"}])
    assert _values(inject, _request(url)) == [NEOGRID_LIKE]
    header = _request("https://api.example.org/v1/locations", headers=[
        {"keyType": "other", "keyValue": "X-Api-Key", "valueType": "msg", "valueValue": "key"}])
    assert _values(_store_key(NEOGRID_LIKE, store="msg"), header) == [NEOGRID_LIKE]


def test_a_stored_value_no_request_sends_as_a_key_is_not_a_secret() -> None:
    url = "https://api.example.org/v1/locations?api_key={{key}}"
    # the same value with no request reading it, or read as an ordinary query parameter
    assert _values(_store_key(NEOGRID_LIKE)) == []
    assert _values(_store_key(NEOGRID_LIKE),
                   _request("https://api.example.org/v1/locations?id={{key}}")) == []
    # a word or a short value under the name the request sends: a name, not a key
    assert _values(_store_key("orders-archive"), _request(url)) == []
    assert _values(_store_key("a1b2c3d4"), _request(url)) == []
    # another tab's request reads its own flow.key; a global one is every tab's
    other_tab = _request(url, z="0a0b0c0d0e0f0102")
    assert _values(_store_key(NEOGRID_LIKE), other_tab) == []
    global_url = "https://api.example.org/v1/locations?api_key={{global.key}}"
    assert _values(_store_key(NEOGRID_LIKE, store="global"),
                   _request(global_url, z="0a0b0c0d0e0f0102")) == [NEOGRID_LIKE]
