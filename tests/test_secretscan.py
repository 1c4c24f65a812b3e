"""The secret scanner against realistic Node-RED and n8n node configs.

A table of true positives (each must be found, exactly once, at the expected field) and of
look-alikes (each must stay quiet), plus the properties the rest of the plugin relies on:
values never leak through ``field``/``kind``/``mask``, one scan per App, and speed.
"""

from __future__ import annotations

import base64
import gc
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import pytest_nocode.checks.test_secrets as sec001
import pytest_nocode.secretscan as secretscan
from pytest_nocode.findings import FindingCollector
from pytest_nocode.model import App, Step
from pytest_nocode.redaction import Redactor, mask
from pytest_nocode.secretscan import SecretHit, find_secrets, is_secret_name, scan_text

TAB = "f0e1d2c3b4a59687"
NODE = "a1b2c3d4e5f60718"
CONFIG = "0f0fc5534fc4c9b5"


# -- builders --------------------------------------------------------------------------------
def nodered(node_type: str, node_id: str = NODE, **props: Any) -> Step:
    """A Node-RED node as the flows export has it: params is the whole node object."""
    params = {"id": node_id, "type": node_type, "z": TAB, "name": "", **props,
              "x": 320, "y": 140, "wires": [[]]}
    return Step(id=node_id, name="", type=node_type, workflow_id=TAB,
                path=f"flows/{TAB}/{node_id}", package="node-red", params=params)


def n8n(node_type: str, **parameters: Any) -> Step:
    """An n8n node: params is the node's ``parameters`` object."""
    return Step(id="7f3c1c8e-2b44-4a8e-9c51-1f0a2b3c4d5e", name="Node",
                type=f"n8n-nodes-base.{node_type}", workflow_id="wf1", path="workflows/wf1/Node",
                package="n8n-nodes-base", params=parameters)


def app_of(*steps: Step, platform: str = "nodered") -> App:
    return App(id="t", platform=platform, name="t", facets=frozenset({"workflows"}),
               steps=tuple(steps))


def code(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def header(name: str, value: str, value_type: str = "other") -> dict[str, str]:
    return {"keyType": "other", "keyValue": name, "valueType": value_type, "valueValue": value}


def b64url(obj: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


# Test credentials, assembled so that the repository itself does not hold a scannable token.
GITHUB = "ghp_" + "Zt4Rb8Wc1Vn6" * 3
AWS_KEY = "AKIA" + "Q3X7" * 4
STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + "Xy12"
SLACK_BOT = "xoxb-" + "123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_HOOK = ("https://hooks.slack.com/services/" + "T0ABCDEFG/B0HIJKLMN/"
              + "aBcDeFgHiJkLm0NoPqRsTuVw")
SENDGRID = "SG." + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7O" + "." + "Pq8Rs9Tu0Vw1Xy2Za3Bc4De5Fg6Hi7Jk8Lm9No0Pq1Rs"
JWT = (b64url({"alg": "HS256", "typ": "JWT"}) + "." + b64url({"sub": "svc-orders"}) + "."
       + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
TELEGRAM = "1234567890:" + "AAH" + "x7Yz2Wv9Ut4Sr6Qp1On8Ml3Kj5Ih0Gfe"
PEM = ("-----BEGIN RSA PRIVATE KEY-----\n"
       "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw\n"
       "7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFc\n"
       "-----END RSA PRIVATE KEY-----")
BASIC = base64.b64encode(b"svc-orders:Winter2024").decode()
GOOGLE = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
AZURE = "Zm9vYmFy" * 11
DISCORD = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMnOpQrStUvWxYz01"
BCRYPT = "$2b$08$" + "K1f3a8sQeW7hF2mZpL9xYOu4cR6tV0bN3jD5gH8kA1sE7wQ2yU4iO"


@dataclass(frozen=True)
class Case:
    id: str
    step: Step
    field: str | None = None  # None: a look-alike, nothing must be found
    value: str | None = None
    kind: str | None = None  # checked when given
    extra: tuple[Step, ...] = ()  # other steps of the app (config nodes it references)


POSITIVES = [
    # -- Node-RED ---------------------------------------------------------------------------
    Case("nr-header-predefined-authorization",
         nodered("http request", url="https://api.acme.io/v1/orders", headers=[
             {"keyType": "Authorization", "keyValue": "", "valueType": "other",
              "valueValue": "Bearer 4f9a8c7e6d5b4a3c2b1a0f9e8d7c6b5a"}]),
         "headers[0].valueValue", "4f9a8c7e6d5b4a3c2b1a0f9e8d7c6b5a", "Bearer token"),
    Case("nr-header-x-api-key",
         nodered("http request", url="https://fulfil.acme-partner.com/v2/shipments", headers=[
             {"keyType": "Content-Type", "keyValue": "", "valueType": "application/json",
              "valueValue": ""}, header("X-Api-Key", "pk9Qw2Er4Ty6Ui8Op0As")]),
         "headers[1].valueValue", "pk9Qw2Er4Ty6Ui8Op0As"),
    Case("nr-header-github-token",
         nodered("http request", url="https://api.github.com/repos/acme/erp/issues",
                 headers=[header("Authorization", f"token {GITHUB}")]),
         "headers[0].valueValue", GITHUB, "GitHub Token"),
    Case("nr-header-cookie",
         nodered("http request", url="https://erp.acme.io/api",
                 headers=[header("Cookie", "session=9f8e7d6c5b4a3f2e1d0c")]),
         "headers[0].valueValue", "session=9f8e7d6c5b4a3f2e1d0c"),
    Case("nr-change-set-api-key",
         nodered("change", rules=[{"t": "set", "p": "headers.x-api-key", "pt": "msg",
                                   "to": "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc",
                                   "tot": "str"}]),
         "rules[0].to", "9f8e7d6c5b4a39281706f5e4d3c2b1a0ffeeddcc"),
    Case("nr-change-default-password",
         nodered("change", rules=[
             {"t": "set", "p": "payload.user", "pt": "msg", "to": "admin", "tot": "str"},
             {"t": "set", "p": "payload.password", "pt": "msg", "to": "plant4-admin",
              "tot": "str"}]),
         "rules[1].to", "plant4-admin"),
    Case("nr-function-api-key-const",
         nodered("function", func=code("// call the partner API",
                                       "const url = 'https://api.acme.io/v1';",
                                       'const apiKey = "c2VjcmV0LWtleS0xMjM0NTY3ODkw";',
                                       "msg.headers = { 'x-api-key': apiKey };",
                                       "return msg;")),
         "func:line 3", "c2VjcmV0LWtleS0xMjM0NTY3ODkw"),
    Case("nr-function-password-property",
         nodered("function", func=code("const db = {",
                                       "    host: 'db.acme.internal', password: 'S3cr3t!pw',",
                                       "};", "return msg;")),
         "func:line 2", "S3cr3t!pw"),
    Case("nr-function-initialize-slack",
         nodered("function", func="return msg;",
                 initialize=f'const slack = new WebClient("{SLACK_BOT}");\n'),
         "initialize:line 1", SLACK_BOT, "Slack Token"),
    Case("nr-function-aws-key",
         nodered("function", func=code("const s3 = new AWS.S3({",
                                       "    region: 'eu-west-1',",
                                       f"    accessKeyId: '{AWS_KEY}',",
                                       "});", "return msg;")),
         "func:line 3", AWS_KEY, "AWS Access Key"),
    Case("nr-function-private-key",
         nodered("function", func=code("const jwt = global.get('jsonwebtoken');",
                                       f"const signingKey = `{PEM}`;",
                                       "msg.payload = jwt.sign(msg.payload, signingKey);",
                                       "return msg;")),
         "func:line 2", PEM, "Private Key"),
    Case("nr-function-escaped-pem",
         nodered("function", func="const key = " + json.dumps(PEM) + ";\nreturn msg;"),
         "func:line 1", PEM.replace("\n", "\\n"), "Private Key"),
    Case("nr-function-slack-webhook",
         nodered("function", func=code(f'msg.url = "{SLACK_HOOK}";', "return msg;")),
         "func:line 1", SLACK_HOOK, "Slack Token"),
    Case("nr-function-jwt",
         nodered("function", func=code(f'const bearer = "{JWT}";',
                                       "msg.headers = { authorization: 'Bearer ' + bearer };",
                                       "return msg;")),
         "func:line 1", JWT, "JSON Web Token"),
    Case("nr-function-set-header-call",
         nodered("function", func=code("const req = http.request(opts);",
                                       'req.setHeader("x-api-key", "k_93jf83hf7sd9f8s7df6");',
                                       "req.end();")),
         "func:line 2", "k_93jf83hf7sd9f8s7df6"),
    Case("nr-function-connection-string",
         nodered("function", func=code(
             'const conn = "Server=db.acme.io;User Id=sa;Password=Str0ng!Pass;";',
             "return msg;")),
         "func:line 1", "Str0ng!Pass"),
    Case("nr-function-basic-header",
         nodered("function", func=code(f'msg.headers = {{ "Authorization": "Basic {BASIC}" }};',
                                       "return msg;")),
         "func:line 1", BASIC, "Basic auth header"),
    Case("nr-function-telegram",
         nodered("function", func=code(f'const bot = new TelegramBot("{TELEGRAM}");',
                                       "return msg;")),
         "func:line 1", TELEGRAM, "Telegram Bot Token"),
    Case("nr-http-request-url-userinfo",
         nodered("http request", method="PUT",
                 url="https://reports:Winter2024!@reports.acme-partner.com/upload"),
         "url (user info)", "Winter2024!", "Password in URL"),
    Case("nr-http-request-url-query-key",
         nodered("http request", method="GET",
                 url="https://maps.acme.io/geocode/json?address=Berlin&api_key=Zx81Qw72Er63Ty54"),
         "url (query api_key)", "Zx81Qw72Er63Ty54", "Secret in URL query"),
    Case("nr-mqtt-broker-userinfo",
         nodered("mqtt-broker", broker="mqtts://iot:Passw0rd2024@broker.acme.io", port="8883"),
         "broker (user info)", "Passw0rd2024"),
    Case("nr-mongodb-uri",
         nodered("mongodb", uri="mongodb://orders:pa55word-2024@db.acme.internal:27017/shop"),
         "uri (user info)", "pa55word-2024"),
    Case("nr-websocket-access-token",
         nodered("websocket-client", path="wss://stream.acme.io/ws?access_token=ab12cd34ef56gh78"),
         "path (query access_token)", "ab12cd34ef56gh78"),
    Case("nr-template-bearer",
         nodered("template", field="payload", fieldType="msg", syntax="mustache",
                 template=code("POST /v1/events HTTP/1.1",
                               "Authorization: Bearer 0a1B2c3D4e5F6g7H8i9J0k1L2m3N",
                               "", "{{payload}}")),
         "template:line 2", "0a1B2c3D4e5F6g7H8i9J0k1L2m3N", "Bearer token"),
    Case("nr-template-yaml-api-key",
         nodered("template", field="payload", fieldType="msg", syntax="plain",
                 template=code("service: orders", "endpoint: https://api.acme.io",
                               "api_key: 9a8b7c6d5e4f3a2b1c0d")),
         "template:line 3", "9a8b7c6d5e4f3a2b1c0d"),
    Case("nr-inject-prop-api-key",
         nodered("inject", props=[{"p": "payload"}, {"p": "apiKey", "v": "live_6Yh2Kd9Lq4Zp",
                                                     "vt": "str"}],
                 payload="", payloadType="date"),
         "props[1].v", "live_6Yh2Kd9Lq4Zp"),
    Case("nr-subflow-env-password",
         nodered("subflow:4a9d62b4c70da263",
                 env=[{"name": "DB_HOST", "type": "str", "value": "db.acme.internal"},
                      {"name": "DB_PASSWORD", "type": "str", "value": "hunter22"}]),
         "env[1].value", "hunter22"),
    Case("nr-contrib-node-password-property",
         nodered("email-settings", server="smtp.acme.io", user="alerts", password="admin123"),
         "password", "admin123", "Secret keyword"),
    # -- n8n ---------------------------------------------------------------------------------
    Case("n8n-header-parameter-bearer",
         n8n("httpRequest", method="POST", url="https://api.openai.com/v1/chat/completions",
             sendHeaders=True, headerParameters={"parameters": [
                 {"name": "Authorization", "value": "Bearer sk-proj-Q1w2E3r4T5y6U7i8O9p0"}]}),
         "headerParameters.parameters[0].value", "sk-proj-Q1w2E3r4T5y6U7i8O9p0"),
    Case("n8n-query-parameter-api-key",
         n8n("httpRequest", url="https://api.openweathermap.org/data/2.5/weather",
             sendQuery=True, queryParameters={"parameters": [
                 {"name": "q", "value": "Berlin"},
                 {"name": "appid", "value": "={{ $json.city }}"},
                 {"name": "api_key", "value": "b1946ac92492d2347c6235b4d2611184"}]}),
         "queryParameters.parameters[2].value", "b1946ac92492d2347c6235b4d2611184"),
    Case("n8n-url-token-query",
         n8n("httpRequest", url="https://hooks.acme.io/v2/orders?token=Tk8Jd7Hs6Ga5Pq4W"),
         "url (query token)", "Tk8Jd7Hs6Ga5Pq4W"),
    Case("n8n-url-userinfo",
         n8n("httpRequest", url="https://admin:S3cure!Pw@api.acme.io/v1/export"),
         "url (user info)", "S3cure!Pw", "Password in URL"),
    Case("n8n-code-stripe",
         n8n("code", mode="runOnceForAllItems",
             jsCode=code("const stripe = require('stripe');", f"const STRIPE_KEY = '{STRIPE}';",
                         "return items;")),
         "jsCode:line 2", STRIPE, "Stripe Access Key"),
    Case("n8n-code-python-password",
         n8n("code", language="python",
             pythonCode=code("import hashlib", 'password = "P@ssw0rd2024"',
                             "return _input.all()")),
         "pythonCode:line 2", "P@ssw0rd2024"),
    Case("n8n-set-assignment-api-key",
         n8n("set", assignments={"assignments": [
             {"id": "1c2d", "name": "region", "value": "eu-west-1", "type": "string"},
             {"id": "3e4f", "name": "apiKey", "value": "ak_5Rt6Yu7Io8Pl9Kj0", "type": "string"}]}),
         "assignments.assignments[1].value", "ak_5Rt6Yu7Io8Pl9Kj0"),
    Case("n8n-function-sendgrid",
         n8n("function", functionCode=code("const sg = require('@sendgrid/mail');",
                                           f"sg.setApiKey('{SENDGRID}');", "return items;")),
         "functionCode:line 2", SENDGRID, "SendGrid API Key"),
    Case("n8n-header-json-v1",
         n8n("httpRequest", jsonParameters=True,
             headerParametersJson='{"X-Api-Key": "hj7Kl9Mn2Bv4Cx6Z"}'),
         "headerParametersJson", "hj7Kl9Mn2Bv4Cx6Z"),
    Case("n8n-json-headers-expression",
         n8n("httpRequest", sendHeaders=True, specifyHeaders="json",
             jsonHeaders=code("={", '  "x-api-key": "ak_7d9f8g7h6j5k4l3",',
                              '  "x-request-id": "{{ $json.id }}"', "}")),
         "jsonHeaders:line 2", "ak_7d9f8g7h6j5k4l3"),
    Case("n8n-expression-with-literal",
         n8n("httpRequest", headerParameters={"parameters": [
             {"name": "Authorization", "value": "=Bearer 0a1b2c3d4e5f6a7b8c9d"}]}),
         "headerParameters.parameters[0].value", "0a1b2c3d4e5f6a7b8c9d"),
    Case("n8n-crypto-hmac-secret",
         n8n("crypto", action="hmac", type="SHA256", value="={{ $json.body }}",
             secret="hmac-s3cret-2024"),
         "secret", "hmac-s3cret-2024"),
    # -- written blind, before the scanner was tuned on them (see the report) ----------------
    Case("nr-telegram-in-url-path",
         nodered("http request", url=f"https://api.telegram.org/bot{TELEGRAM}/sendMessage"),
         "url", TELEGRAM, "Telegram Bot Token"),
    # Zalo's bot platform uses Telegram's token shape and URL layout: named by its host
    Case("nr-zalo-bot-in-url-path",
         nodered("http request",
                 url=f"https://bot-api.zaloplatforms.com/bot{TELEGRAM}/sendMessage"),
         "url", TELEGRAM, "Zalo Bot Token"),
    Case("nr-nested-auth-password",
         nodered("function", func="const options = { auth: { username: 'svc', "
                                  "password: 'Tr0ub4dor&3' } };\nreturn msg;"),
         "func:line 1", "Tr0ub4dor&3"),
    Case("nr-exec-curl-bearer",
         nodered("exec", addpay=False, command='curl -H "Authorization: Bearer '
                                               '9f8e7d6c5b4a3f2e1d0c9b8a" https://api.acme.io/x'),
         "command", "9f8e7d6c5b4a3f2e1d0c9b8a", "Bearer token"),
    Case("nr-exec-mysqldump-password",
         nodered("exec", command="mysqldump -u root -pS3cretPw2024 shop > /tmp/shop.sql"),
         "command", "S3cretPw2024", "Password on command line"),
    # a dump in a container, the password quoted after -p as shells allow
    Case("n8n-command-mysqldump-quoted-password",
         n8n("executeCommand", command="docker run --rm mysql:8.0 mysqldump -h db.acme.io "
                                       "-u backup -p'Dump-2024x' shop > /tmp/shop.sql"),
         "command", "Dump-2024x", "Password on command line"),
    Case("nr-exec-curl-user",
         nodered("exec", command="curl -s -u deploy:D3ploy!2024 https://ci.acme.io/job/build"),
         "command", "D3ploy!2024", "Password on command line"),
    Case("n8n-command-pgpassword",
         n8n("executeCommand", command="PGPASSWORD=Pg2024pass psql -h db -U app -c 'select 1'"),
         "command", "Pg2024pass"),
    Case("n8n-ssh-sshpass",
         n8n("ssh", command="sshpass -p 'R00t!2024' ssh root@10.0.0.5 uptime"),
         "command", "R00t!2024", "Password on command line"),
    Case("n8n-body-client-secret",
         n8n("httpRequest", sendBody=True, bodyParameters={"parameters": [
             {"name": "client_id", "value": "acme-app"},
             {"name": "client_secret", "value": "cs_9Lk2Jh4Gf6Ds8Aq"}]}),
         "bodyParameters.parameters[1].value", "cs_9Lk2Jh4Gf6Ds8Aq"),
    Case("n8n-raw-json-body",
         n8n("httpRequest", contentType="raw",
             body='{"username":"svc","password":"Pa55w0rd!"}'),
         "body", "Pa55w0rd!"),
    Case("nr-azure-sas-signature",
         nodered("http request", url="https://acme.blob.core.windows.net/c/f.csv?sv=2022-11-02"
                                     "&sr=b&sp=r&sig=Qm9vZ3xZa2FkZmFzZGZhc2RmYXNkZg%3D"),
         "url (query sig)", "Qm9vZ3xZa2FkZmFzZGZhc2RmYXNkZg%3D"),
    Case("nr-azure-connection-string",
         nodered("function", func=f'const conn = "DefaultEndpointsProtocol=https;AccountName='
                                  f'acme;AccountKey={AZURE};EndpointSuffix=core.windows.net";'),
         "func:line 1", AZURE, "Azure Storage Account access key"),
    Case("nr-ui-template-google-key",
         nodered("ui_template", format=code('<div id="map"></div>', "<script>",
                                            f'const API_KEY = "{GOOGLE}";', "</script>")),
         "format:line 3", GOOGLE, "Google API Key"),
    Case("nr-function-bracket-header",
         nodered("function", func="msg.headers['X-Auth-Token'] = "
                                  "'a8f5f167f44f4964e6c998dee827110c';\nreturn msg;"),
         "func:line 1", "a8f5f167f44f4964e6c998dee827110c"),
    Case("n8n-set-v2-values",
         n8n("set", values={"string": [{"name": "apiToken", "value": "tok_123456789abc"}]}),
         "values.string[0].value", "tok_123456789abc"),
    Case("nr-template-yaml-quoted",
         nodered("template", template=code("db:", "  user: app", '  password: "hunter2!"')),
         "template:line 3", "hunter2!"),
    Case("nr-function-weak-const",
         nodered("function", func="const PASSWORD = 'letmein';\nreturn msg;"),
         "func:line 1", "letmein"),
    Case("n8n-python-getenv-default",
         n8n("code", pythonCode=code("import os",
                                     'key = os.environ.get("API_KEY", "sk-test-123456789")')),
         "pythonCode:line 2", "sk-test-123456789"),
    Case("nr-google-key-in-url",
         nodered("http request",
                 url=f"https://maps.googleapis.com/maps/api/geocode/json?address=x&key={GOOGLE}"),
         "url", GOOGLE, "Google API Key"),
    Case("nr-header-basic-lowercase-name",
         nodered("http request", headers=[header("authorization", f"Basic {BASIC}")]),
         "headers[0].valueValue", BASIC, "Basic auth header"),
    Case("nr-discord-webhook",
         nodered("http request", url=f"https://discord.com/api/webhooks/123456789012345678/"
                                     f"{DISCORD}"),
         "url", DISCORD, "Webhook URL with token"),
    Case("n8n-bitrix24-inbound-webhook-in-code",
         n8n("code", jsCode=code(
             "const TASKS = 'https://crm.acme-portal.example/rest/42/k3v9x1q7m2p8t4w6/';",
             "return [{ json: { url: TASKS + 'tasks.task.list' } }];")),
         "jsCode:line 1", "k3v9x1q7m2p8t4w6", "Webhook URL with token"),
    # -- missed on apps nobody tuned on (issue 11), distilled --------------------------------
    Case("n8n-query-parameter-bare-key",
         n8n("httpRequest", method="POST", url="https://api.imgbb.com/1/upload",
             sendQuery=True, queryParameters={"parameters": [
                 {"name": "expiration", "value": "600"},
                 {"name": "key", "value": "5e0c2b7a91d84f36a0b1c9d8e7f6a5b4"}]}),
         "queryParameters.parameters[1].value", "5e0c2b7a91d84f36a0b1c9d8e7f6a5b4",
         "Secret in URL query"),
    Case("n8n-ssh-registry-password-piped",
         n8n("ssh", command="=echo 'Hub!pass2025' | docker login -u acme --password-stdin && "
                            "docker push acme/api:{{ $json.tag }}"),
         "command", "Hub!pass2025", "Password on command line"),
    Case("n8n-command-registry-password-flag",
         n8n("executeCommand", command="docker login -u acme -p Hub9pass2025 registry.acme.io"),
         "command", "Hub9pass2025", "Password on command line"),
    Case("nr-function-soap-password-element",
         nodered("function", func=code(
             "msg.payload = `<soap:Envelope><soap:Body><auth:login>",
             "  <auth:user>well-07</auth:user>",
             "  <auth:password>Wq7!rtz93</auth:password>",
             "</auth:login></soap:Body></soap:Envelope>`;", "return msg;")),
         "func:line 3", "Wq7!rtz93"),
]

NEGATIVES = [
    # -- Node-RED ---------------------------------------------------------------------------
    Case("nr-function-uuid-digest-env", nodered("function", func=code(
        "// Trace context for the hourly ping. The token comes from the environment.",
        'const traceId = "3f2b8c1e-4a5d-4e6f-9a7b-1c2d3e4f5a6b";',
        'const schemaDigest = "177b0295bb016c31916f4bd71a80ce23ddd7f4223fe86f7d96079caeacfb8cd9";',
        'const token = env.get("API_TOKEN");',
        'if (!token) { node.warn("API_TOKEN is not set"); return null; }',
        "return msg;"))),
    Case("nr-change-env-typed", nodered("change", rules=[
        {"t": "set", "p": "headers.authorization", "pt": "msg", "to": "API_TOKEN",
         "tot": "env"}])),
    Case("nr-change-msg-typed", nodered("change", rules=[
        {"t": "set", "p": "payload.token", "pt": "msg", "to": "req.headers.authorization",
         "tot": "msg"}])),
    Case("nr-header-env-typed", nodered("http request", url="https://api.acme.io", headers=[
        header("Authorization", "API_TOKEN", "env")])),
    Case("nr-header-msg-typed", nodered("http request", url="https://api.acme.io", headers=[
        header("x-api-key", "payload.apiKey", "msg")])),
    Case("nr-function-env-and-msg-references", nodered("function", func=code(
        "const token = process.env.API_TOKEN;",
        "const apiKey = msg.apiKey || flow.get('apiKey');",
        "const password = msg.req.body.password;",
        "if (token === '') { return null; }",
        "msg.headers = { Authorization: 'Bearer ' + token };",
        "return msg;"))),
    Case("nr-function-placeholders", nodered("function", func=code(
        'const apiKey = "";',
        "const cfg = { password: '<token>', secret: '***', token: 'xxx',",
        "              apiKey: 'REPLACE_ME', auth: '${TOKEN}', clientSecret: 'your-secret-here' };",
        "return msg;"))),
    Case("nr-function-digests-without-secret-name", nodered("function", func=code(
        'const etag = "5d41402abc4b2a76b9719d911017c592";',
        'const checksum = "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12";',
        'const cacheKey = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";',
        "return msg;"))),
    Case("nr-http-request-config-refs", nodered(
        "http request", method="GET", url="https://api.acme.io/v1/ping", tls=CONFIG,
        proxy="6eeda61c89628f19", authType="basic", paytoqs="ignore")),
    Case("nr-tls-config-paths", nodered("tls-config", node_id=CONFIG, cert="", ca="",
                                        key="/etc/ssl/private/client.key",
                                        keyname="client.key", verifyservercert=True)),
    Case("nr-url-harmless-query", nodered(
        "http request", url="https://api.acme.io/v1/items?page=2&sort=desc&key=orders")),
    Case("nr-template-mustache-references", nodered(
        "template", field="payload", fieldType="msg", syntax="mustache",
        template=code("Authorization: Bearer {{flow.token}}", "X-Api-Key: {{env.API_KEY}}",
                      "Password: {{payload.password}}", "<p>Order {{payload.id}}</p>"))),
    Case("nr-inject-timestamps", nodered(
        "inject", props=[{"p": "payload"}, {"p": "sent", "v": "2024-05-01T10:00:00Z",
                                            "vt": "str"}],
        payload="1717171717000", payloadType="num", topic="orders/poll")),
    Case("nr-template-base64-image", nodered(
        "template", field="payload", fieldType="msg", syntax="mustache", template=(
            '<img alt="logo" src="data:image/png;base64,'
            + base64.b64encode(bytes(range(256)) * 4).decode() + '">'))),
    Case("nr-function-prose-and-comparisons", nodered("function", func=code(
        'node.warn("Invalid password for " + user);',
        'msg.payload = "Enter your API key in the settings";',
        "if (msg.password == stored) { msg.ok = true; }",
        "const passwordField = 'pwd';",
        "return msg;"))),
    Case("nr-url-userinfo-from-env", nodered(
        "http request", url="https://svc:${SVC_PASSWORD}@api.acme.io/v1",
        headers=[header("Authorization", "Bearer {{token}}")])),
    Case("nr-mqtt-templated-userinfo", nodered("mqtt-broker",
                                               broker="mqtt://{{user}}:{{pass}}@broker.acme.io")),
    Case("nr-comment-info-prose", nodered(
        "comment", info="Set API_TOKEN in the environment; the password is read with env.get()."
                        "\nRotate the token every 90 days.")),
    Case("nr-subflow-env-cred-and-env", nodered("subflow:4a9d62b4c70da263", env=[
        {"name": "API_KEY", "type": "cred"},
        {"name": "DB_PASSWORD", "type": "env", "value": "DB_PASSWORD"}])),
    Case("nr-config-reference-under-secret-name",
         nodered("acme-api", auth=CONFIG, operation="list"),
         extra=(nodered("acme-credentials", node_id=CONFIG),)),
    Case("nr-bcrypt-hash", nodered("http-auth", user="ops", password=BCRYPT)),
    Case("nr-pwrd-placeholder", nodered("email", server="smtp.acme.io", password="__PWRD__")),
    Case("nr-topic-with-token-word", nodered("mqtt out", topic="devices/+/token/refresh",
                                             qos="1", broker=CONFIG)),
    Case("nr-public-key", nodered("function", func=code(
        "const publicKey = `-----BEGIN PUBLIC KEY-----",
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo",
        "-----END PUBLIC KEY-----`;", "return msg;"))),
    Case("nr-function-pem-header-check", nodered("function", func=code(
        "const pem = msg.payload.toString();",
        'if (!pem.startsWith("-----BEGIN PRIVATE KEY-----")) { return null; }',
        "return msg;"))),
    Case("nr-function-node-ids", nodered("function", func=code(
        'const target = "a1b2c3d4e5f60718";', 'node.send([null, msg], "0f0fc5534fc4c9b5");',
        "return msg;"))),
    # -- n8n ---------------------------------------------------------------------------------
    Case("n8n-header-json-reference", n8n("httpRequest", headerParameters={"parameters": [
        {"name": "Authorization", "value": "={{ $json.token }}"}]})),
    Case("n8n-header-env-bearer", n8n("httpRequest", headerParameters={"parameters": [
        {"name": "Authorization", "value": "=Bearer {{ $env.API_TOKEN }}"},
        {"name": "X-Api-Key", "value": "={{ $vars.ACME_KEY }}"}]})),
    Case("n8n-url-env-query", n8n(
        "httpRequest", url="=https://api.acme.io/items?api_key={{ $env.API_KEY }}&page=2")),
    Case("n8n-credential-store", n8n(
        "httpRequest", url="https://api.acme.io", authentication="genericCredentialType",
        genericAuthType="httpHeaderAuth", options={"allowUnauthorizedCerts": False})),
    Case("n8n-webhook-header-auth", n8n("webhook", httpMethod="POST", authentication="headerAuth",
                                        path="3f2b8c1e-4a5d-4e6f-9a7b-1c2d3e4f5a6b")),
    Case("n8n-rest-path-of-a-record-id", n8n(
        # a REST path with a numeric id and a word of letters only, not a webhook key
        "httpRequest", url="https://wiki.acme.example/rest/42/contentrevisions/")),
    Case("n8n-code-references", n8n("code", jsCode=code(
        "const password = $input.first().json.password;",
        "const token = $env.API_TOKEN;",
        "const apiKey = $vars.ACME_API_KEY;",
        "const secret = `${$json.prefix}-${$json.id}`;",
        "return [{ json: { ok: !!token } }];"))),
    Case("n8n-set-assignment-expression", n8n("set", assignments={"assignments": [
        {"id": "5a6b", "name": "token", "value": "={{ $json.body.token }}", "type": "string"}]})),
    Case("n8n-lookalike-names", n8n(
        "openAi", maxTokens="1024", tokenUrl="https://auth.acme.io/oauth/token",
        passwordField="pwd", secretName="prod/orders-db", keyType="rsa",
        authentication="oAuth2")),
    Case("n8n-harmless-query-params", n8n("httpRequest", queryParameters={"parameters": [
        {"name": "page", "value": "2"}, {"name": "key", "value": "orders"},
        {"name": "sessionId", "value": "7f3c1c8e-2b44-4a8e-9c51-1f0a2b3c4d5e"}]})),
    Case("n8n-secrets-expression", n8n(
        "httpRequest", headerParameters={"parameters": [
            {"name": "Authorization", "value": "={{ 'Bearer ' + $secrets.vault.acmeToken }}"}]})),
    # -- written blind, before the scanner was tuned on them (see the report) ----------------
    Case("nr-object-keys", nodered("function", func="const key = Object.keys(msg.payload)[0];")),
    Case("nr-topic-password-reset", nodered("function", func='msg.topic = "password-reset";')),
    Case("nr-oauth-authorize-url", nodered("function", func=(
        'const authUrl = "https://login.acme.io/oauth2/authorize?client_id=abc'
        '&response_type=code&state=xyz123456";'))),
    Case("nr-regex-literal", nodered("function", func="const re = /token=([^&]+)/;")),
    Case("nr-html-password-input", nodered("ui_template", format=code(
        "<form>", "<input type='password' name='password' placeholder='Password'>", "</form>"))),
    Case("nr-switch-rule-value", nodered("switch", property="payload.error",
                                         propertyType="msg",
                                         rules=[{"t": "eq", "v": "token_expired", "vt": "str"}])),
    Case("nr-cookie-read", nodered("function", func=(
        'const sessionToken = msg.req.cookies["session-token"];'))),
    Case("nr-content-type-headers", nodered("function", func=(
        'msg.headers = { "Content-Type": "application/json", "Accept": "application/json" };'))),
    Case("n8n-validation-message", n8n("code", jsCode=(
        "if (item.json.password.length < 12) throw new Error('password too short');"))),
    Case("nr-header-name-constant", nodered("function",
                                            func='const API_KEY_HEADER = "x-api-key";')),
    Case("nr-token-expiry", nodered("function", func='const tokenExpiry = "3600";')),
    Case("nr-auth-from-message", nodered("function",
                                         func="const auth = { user: msg.user, pass: msg.pass };")),
    Case("n8n-redis-key", n8n("redis", operation="get", key="orders:2024:05",
                              propertyName="order")),
    Case("nr-aws-region", nodered("function", func='const AWS_REGION = "eu-west-1";')),
    Case("n8n-webhook-path", n8n("webhook", path="webhook/token", httpMethod="POST")),
    Case("nr-html-labels", nodered("template", template=code(
        "<label>Token: </label><input id=tok>", "<p>Your password: will be emailed</p>"))),
    Case("n8n-sql-columns", n8n("postgres", operation="executeQuery", query=(
        "SELECT id, email FROM users WHERE password_hash = $1 AND token_expires > now()"))),
    Case("nr-markdown-info", nodered("comment", info=code(
        "## Setup", "1. Create an API key in the Acme portal.", "2. Store it as `ACME_API_KEY`."))),
    Case("nr-old-style-node-id", nodered("function",
                                         func='node.send(msg, "e4b3a2c1.5d6f7");\nreturn null;')),
    Case("n8n-oauth-scope-query", n8n("httpRequest", url=(
        "https://auth.acme.io/token?grant_type=client_credentials&scope=orders.read"))),
    Case("nr-jwt-shaped-not-jwt", nodered("function",
                                          func='const s = "eyJhbGciOi.not-json.sig";')),
    Case("nr-passphrase-from-message", nodered("function", func=(
        'const passphrase = msg.payload.passphrase ?? "";'))),
    # command lines that take a password from elsewhere
    Case("nr-exec-docker-login-stdin", nodered("exec", command=(
        "docker login --password-stdin --username admin registry.acme.io"))),
    Case("nr-exec-mysql-prompt", nodered("exec", command="mysql -u root -p shop < dump.sql")),
    Case("n8n-command-env-credentials", n8n("executeCommand", command=(
        'curl -u "$CI_USER:$CI_PASSWORD" https://ci.acme.io && psql --host db --port 5432'))),
    Case("n8n-command-placeholder-flag", n8n("executeCommand",
                                             command="acme-cli sync --api-key YOUR_API_KEY")),
    # look-alikes of the shapes above: a variable piped to the registry login, a query
    # parameter `key` naming a record, a short or word-like `key`, an XML password element
    # filled from a variable or naming a policy
    Case("n8n-ssh-registry-password-from-env", n8n("ssh", command=(
        'echo "$DOCKERHUB_TOKEN" | docker login -u acme --password-stdin'))),
    Case("n8n-command-echo-not-a-login", n8n("executeCommand", command=(
        "echo 'Build2025done' | tee -a /var/log/deploy.log"))),
    Case("n8n-query-parameter-key-is-a-name", n8n("httpRequest", queryParameters={
        "parameters": [{"name": "key", "value": "customer_orders_by_region"},
                       {"name": "key", "value": "20240117"}]})),
    Case("nr-function-soap-password-from-variable", nodered("function", func=code(
        'const pw = env.get("WATER_PW");',
        "msg.payload = `<auth:password>${pw}</auth:password>`;", "return msg;"))),
    Case("nr-template-password-policy-element", nodered("template", template=code(
        "<config>", "  <PasswordPolicy>strong-only</PasswordPolicy>",
        "  <token>{{payload.token}}</token>", "</config>"))),
]

ALL = POSITIVES + NEGATIVES


def hits_of(case: Case) -> tuple[SecretHit, ...]:
    app = app_of(case.step, *case.extra,
                 platform="n8n" if case.step.type.startswith("n8n") else "nodered")
    return tuple(hit for hit in find_secrets(app) if hit.step_id == case.step.id)


# -- the table -------------------------------------------------------------------------------
def test_table_is_big_enough() -> None:
    assert len(POSITIVES) >= 25 and len(NEGATIVES) >= 25
    assert len({c.id for c in ALL}) == len(ALL), "case ids must be unique"


@pytest.mark.parametrize("case", POSITIVES, ids=lambda c: c.id)
def test_true_positive(case: Case) -> None:
    assert_found_alone(case)


def assert_found_alone(case: Case) -> None:
    """The case's value is found, in its field, as its kind, and nothing else is."""
    hits = hits_of(case)
    assert [(h.field, h.value) for h in hits] == [(case.field, case.value)], hits
    if case.kind:
        assert hits[0].kind == case.kind


@pytest.mark.parametrize("case", NEGATIVES, ids=lambda c: c.id)
def test_look_alike_stays_quiet(case: Case) -> None:
    assert hits_of(case) == ()


def test_precision_and_recall_on_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The figures quoted in reviews: every reported hit checked against the table."""
    true_pos = false_pos = false_neg = 0
    for case in ALL:
        found = {(h.field, h.value) for h in hits_of(case)}
        expected = {(case.field, case.value)} if case.field else set()
        true_pos += len(found & expected)
        false_pos += len(found - expected)
        false_neg += len(expected - found)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 0.0
    recall = true_pos / (true_pos + false_neg) if true_pos + false_neg else 0.0
    with capsys.disabled():
        print(f"\nsecret scan table: {len(POSITIVES)} positives, {len(NEGATIVES)} look-alikes; "
              f"TP={true_pos} FP={false_pos} FN={false_neg} "
              f"precision={precision:.3f} recall={recall:.3f}")
    assert precision >= 0.95 and recall >= 0.95


# -- the value never leaks -------------------------------------------------------------------
CANARY = "Canary-7f3Qz9Lp2Wx8"


@pytest.mark.parametrize("case", POSITIVES, ids=lambda c: c.id)
def test_value_never_in_field_kind_or_mask(case: Case) -> None:
    for hit in hits_of(case):
        assert hit.value not in hit.field and hit.value not in hit.kind
        assert hit.value not in mask(hit.value)


def test_canary_is_masked_in_every_finding() -> None:
    """A canary secret planted in every kind of place never reaches a finding unmasked."""
    steps = (
        nodered("http request", node_id="1111111111111111",
                url=f"https://svc:{CANARY}@api.acme.io/v1?api_key={CANARY}",
                headers=[header("X-Api-Key", CANARY)]),
        nodered("change", node_id="2222222222222222",
                rules=[{"t": "set", "p": "headers.authorization", "to": f"Bearer {CANARY}",
                        "tot": "str"}]),
        nodered("function", node_id="3333333333333333",
                func=f'const password = "{CANARY}";\nreturn msg;\n'),
    )
    app = app_of(*steps)
    hits = find_secrets(app)
    assert {h.step_id for h in hits} == {s.id for s in steps}
    assert all(h.value == CANARY for h in hits)
    collector = FindingCollector(app.id, "checks/test_secrets.py::sec001", _rule(), lambda e: e)
    sec001.test_no_hardcoded_credentials(app, collector)
    assert len(collector) == len(hits)
    dumped = json.dumps([f.to_json() for f in collector.findings], ensure_ascii=False)
    assert CANARY not in dumped
    assert mask(CANARY) in dumped
    # and the run's redactor, which learns the values at load time, hides it in free text
    redactor = Redactor(h.value for h in hits)
    assert CANARY not in redactor.text(f"connecting with {CANARY}")


def _rule() -> Any:
    marker = next(m for m in sec001.test_no_hardcoded_credentials.pytestmark
                  if m.name == "nocode_check")
    return marker.args[0]


def test_check_reports_critical_for_cloud_and_private_keys() -> None:
    app = app_of(nodered("function", func=f"const k = '{AWS_KEY}';\nreturn msg;\n"),
                 nodered("change", node_id="2222222222222222",
                         rules=[{"t": "set", "p": "payload.password", "to": "plant4-admin",
                                 "tot": "str"}]))
    collector = FindingCollector(app.id, "sec001", _rule(), lambda e: e)
    sec001.test_no_hardcoded_credentials(app, collector)
    by_step = {f.resource.id: f for f in collector.findings}
    assert by_step[NODE].severity.label == "critical"
    assert by_step["2222222222222222"].severity.label == "high"
    assert by_step[NODE].evidence == {"field": "func:line 1", "kind": "AWS Access Key",
                                      "value": mask(AWS_KEY), "type": "function"}
    assert by_step[NODE].message == "AWS Access Key written into func:line 1"
    assert _rule().id == "SEC001" and _rule().category == "secrets"


# -- behaviour the plugin relies on ----------------------------------------------------------
def test_one_hit_per_step_and_value_listing_every_field() -> None:
    step = nodered("function", func=code(
        f'const a = "{STRIPE}"; const b = "{STRIPE}";',  # same line, same value
        f'const apiKey = "{STRIPE}";'))  # a keyword hit on the same value: named by pattern
    hits = find_secrets(app_of(step))
    assert [(h.field, h.kind, h.fields) for h in hits] == [
        ("func:line 1", "Stripe Access Key", ("func:line 1", "func:line 2"))]


def test_a_value_repeated_in_options_is_one_finding_naming_the_fields() -> None:
    """An n8n node that repeats one key in each operation's options is one secret to
    rotate: one finding, every field in the evidence, the value masked once."""
    key = "ak_" + "Pz7Wq2Lm9Rt4Yx6Vb1Nc"
    step = n8n("httpRequest", headerParameters={"parameters": [
        {"name": "X-Api-Key", "value": key}]},
        queryParameters={"parameters": [{"name": "api_key", "value": key}]})
    app = app_of(step, platform="n8n")
    collector = FindingCollector(app.id, "sec001", _rule(), lambda e: e)
    sec001.test_no_hardcoded_credentials(app, collector)
    [finding] = collector.findings
    assert finding.evidence["fields"] == ["headerParameters.parameters[0].value",
                                          "queryParameters.parameters[0].value"]
    assert finding.message == ("Secret keyword written into headerParameters.parameters[0]."
                               "value (and 1 more field)")
    assert key not in json.dumps(finding.to_json())
    other = n8n("httpRequest", headerParameters={"parameters": [
        {"name": "X-Api-Key", "value": key}, {"name": "X-Auth-Token", "value": key + "2"}]})
    assert len(find_secrets(app_of(other, platform="n8n"))) == 2  # two values: two findings


def test_a_string_met_again_is_placed_and_judged_where_it_is() -> None:
    """Each distinct string is scanned once per scan: where it recurs, its hits are placed at
    the new field (lines included), and the same text under another key or a reference type
    is judged anew."""
    password = "plant4-Admin!"
    script = code("const a = 1;", f'const token = "{GITHUB}";')
    first = nodered("function", "n1", func=script, password=password)
    second = nodered("function", "n2", func=script, password=password, passwordType="env",
                     label=password)
    third = nodered("change", "n3", rules=[{"t": "set", "p": "note", "to": script,
                                            "tot": "str"}])
    hits = {(h.step_id, h.field, h.kind) for h in find_secrets(app_of(first, second, third))}
    assert hits == {
        ("n1", "func:line 2", "GitHub Token"), ("n1", "password", "Secret keyword"),
        ("n2", "func:line 2", "GitHub Token"),  # passwordType env: a name, not a secret
        ("n3", "rules[0].to:line 2", "GitHub Token")}


def test_memoized_per_app_instance_and_released_with_it() -> None:
    step = nodered("change", rules=[{"t": "set", "p": "password", "to": "plant4-admin",
                                     "tot": "str"}])
    app = app_of(step)
    first = find_secrets(app)
    assert find_secrets(app) is first
    other = app_of(step)  # equal but another instance: its own scan, same answer
    assert find_secrets(other) == first and find_secrets(other) is not first
    key = id(app)
    assert key in secretscan._CACHE
    del app
    gc.collect()
    assert key not in secretscan._CACHE


def test_deep_params_do_not_recurse() -> None:
    nested: dict[str, Any] = {"password": "deep-S3cret!"}
    for _ in range(3000):  # deeper than Python's recursion limit
        nested = {"child": nested}
    step = Step(id="deep", name="", type="custom", workflow_id="", path="deep",
                params={"cfg": nested})
    hits = find_secrets(app_of(step))
    assert len(hits) == 1 and hits[0].value == "deep-S3cret!"
    assert hits[0].field.endswith(".child.password")


@pytest.mark.parametrize(("name", "expected"), [
    ("password", True), ("DB_PASSWORD", True), ("apiKey", True), ("x-api-key", True),
    ("Authorization", True), ("client_secret", True), ("accessToken", True),
    ("Ocp-Apim-Subscription-Key", True), ("headers.x-api-key", True), ("private_key", True),
    ("passwordField", False), ("tokenUrl", False), ("authType", False), ("keyname", False),
    ("key", False), ("maxTokens", False), ("publicKey", False), ("cacheKey", False),
    ("secretName", False), ("bypass", False), ("monkey", False), ("authentication", False),
])
def test_secret_names(name: str, expected: bool) -> None:
    assert is_secret_name(name) is expected


def test_scan_text_for_other_modules() -> None:
    assert scan_text("Authorization", f"token {GITHUB}") == [("GitHub Token", GITHUB)]
    assert scan_text("credentialSecret", "my-flow-s3cret") == [("Secret keyword",
                                                                "my-flow-s3cret")]
    assert scan_text("credentialSecret", "={{ $env.NODE_RED_CREDENTIAL_SECRET }}") == []
    assert scan_text("url", "https://ops:Hunter2024@acme.io") == [("Password in URL",
                                                                   "Hunter2024")]


def test_a_registered_placeholder_stands_for_its_secret_and_nothing_else() -> None:
    """Placeholders from a replayed cassette: reported as the recorded kind where the rule
    reported the secret, masked as it was; unregistered look-alikes are ordinary text."""
    from pytest_nocode import placeholders

    token = placeholders.make_placeholder(b"k", "test-secretscan", 0,
                                          placeholders.ScrubbedSecret("GitHub Token", 40, "ghp_"))
    word = placeholders.make_placeholder(b"k", "test-secretscan", 1,
                                         placeholders.ScrubbedSecret("Password in URL", 9, ""))
    stranger = placeholders.PREFIX + "0123456789ab"
    placeholders.register({token: {"kind": "GitHub Token", "length": 40, "prefix": "ghp_"},
                           word: {"kind": "Password in URL", "length": 9, "prefix": ""}})
    assert mask(token) == "ghp_…[masked, 40 chars]" and mask(word) == "********"
    assert mask(stranger) == "noco…[masked, 28 chars]"  # an ordinary value
    step = nodered("function", func=f'// {token}\nconst apiKey = "{token}";\nreturn msg;',
                   url=f"https://svc:{word}@db.example/x?token={stranger}")
    hits = [(h.field, h.kind, h.value) for h in find_secrets(app_of(step))]
    assert hits == [("func:line 1", "GitHub Token", token),  # and line 2: one value
                    ("url (query token)", "Secret in URL query", stranger),
                    ("url (user info)", "Password in URL", word)]
    with pytest.raises(ValueError, match="re-record one of them"):
        placeholders.register({token: {"kind": "AWS Access Key", "length": 20,
                                       "prefix": "AKIA"}})
    assert placeholders.lookup(token) == placeholders.ScrubbedSecret("GitHub Token", 40, "ghp_")


# -- speed -----------------------------------------------------------------------------------
def _bench_module() -> Any:
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "secrets_bench.py"
    spec = importlib.util.spec_from_file_location("secrets_bench", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_20k_node_flow_finds_exactly_the_planted_secrets() -> None:
    """The benchmark's flow: no noise from 257k other strings (speed: secrets_bench.py)."""
    bench = _bench_module()
    app = bench.make_app(bench.make_flow(20_000))
    assert len(find_secrets(app)) == 100
