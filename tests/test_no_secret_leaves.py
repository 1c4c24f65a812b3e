"""Canaries: secret values in configurations and credentials never reach any output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_nocode.cli import main
from tests.conftest import node, tab

CANARY_TOKEN = "ghp_CanaryT0kenQ9Zx81LmN0pQrStUvWxYz012345"
CANARY_AWS = "AKIAZCANARY7EXAMPLE9"
CANARY_PASSWORD = "Canary-Pa55word-7c1f9e"
CANARY_HEADER = "canary-hdr-7f3e9a1b2c4d5e6f8a9b0c1d2e3f4a5b"
CANARY_ENV = "nocode-env-canary-8d2e4f6a0b1c3d5e"
CANARIES = (CANARY_TOKEN, CANARY_AWS, CANARY_PASSWORD, CANARY_HEADER, CANARY_ENV)

FLOWS = [
    tab(),
    node("in1", "http in", url="/hook", method="post", wires=[["fn1"]]),
    node("fn1", "function", name="Sign", wires=[["rq1"]],
         func=f'const token = "{CANARY_TOKEN}";\nconst accessKeyId = "{CANARY_AWS}";\n'
              "msg.headers = {authorization: token};\nreturn msg;"),
    node("rq1", "http request", name="Upload", method="POST", wires=[["ch1"]],
         url=f"https://reports:{CANARY_PASSWORD}@reports.example.net/upload",
         headers=[{"keyType": "other", "keyValue": "X-Api-Key", "valueType": "other",
                   "valueValue": CANARY_HEADER}]),
    node("ch1", "change", name="Set key", wires=[[]],
         rules=[{"t": "set", "p": "headers.x-api-key", "pt": "msg", "to": CANARY_HEADER,
                 "tot": "str"}]),
]

LEAKY_CHECK = f'''
from pytest_nocode import check

@check("LEAK-001", title="A careless custom check", category="secrets", severity="low")
def test_prints_and_raises(nocode_app, nocode_findings):
    step = nocode_app.step("fn1")
    print("debug:", step.params["func"])
    nocode_findings.add(step, "found " + step.params["func"], {{"raw": step.params["func"]}})

def test_raises_with_secret(nocode_app):
    func = nocode_app.step("fn1").params["func"]
    raise RuntimeError("boom " + func + " {CANARY_ENV}")
'''


def test_no_canary_in_any_output(pytester: pytest.Pytester, write_flows,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOCODE_NODERED_TOKEN", CANARY_ENV)
    flows = write_flows(FLOWS)
    pytester.makepyfile(test_leaky=LEAKY_CHECK)
    out = pytester.path / "out"
    result = pytester.runpytest(
        "-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}", "-rA", "-l",
        "--tb=long", f"--nocode-json={out / 'f.json'}", f"--nocode-sarif={out / 'f.sarif'}",
        f"--junitxml={out / 'junit.xml'}", f"--alluredir={out / 'allure'}",
        f"--nocode-evidence-log={out / 'evidence.jsonl'}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert main(["merge", str(out / "merged"), str(out)]) == 1  # a CI shard's merge, too
    files = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"f.json", "f.sarif", "junit.xml", "evidence.jsonl",
                                       "findings.json", "findings.sarif", "evidence-log.jsonl"}
    assert any(p.parent.name == "allure" for p in files)
    report = (out / "f.json").read_text()
    assert '"SEC001"' in report  # the secrets were found, and reported masked
    assert '"LEAK-001"' in report  # the careless check ran and reported
    result.stdout.fnmatch_lines(["*test_raises_with_secret*", "*RuntimeError: boom*masked*"])
    texts = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    texts.update({str(p.relative_to(out)): p.read_text(errors="replace") for p in files})
    leaks = [(where, c) for where, text in texts.items() for c in CANARIES if c in text]
    assert leaks == []


def test_masked_evidence_still_tells_the_kind(pytester: pytest.Pytester, write_flows) -> None:
    flows = write_flows(FLOWS)
    out = pytester.path / "f.json"
    pytester.runpytest("-p", "no:cacheprovider", f"--nocode-app=nodered+file:{flows}",
                       f"--nocode-json={out}")
    text = Path(out).read_text()
    assert "ghp_…[masked" in text


NAS_PASSWORD = "Canary-Nas-Pa55-4e8b2d"
HOOK_TOKEN = "hk7Qz2Lm9Xw4Pv8Rt3Ny6Bd1"
ROUTE_FLOWS = [
    tab(),
    node("in2", "http in", url="/SurveillanceStation/off", method="get", wires=[["rq2"]]),
    node("rq2", "http request", name="NAS login", method="GET", wires=[[]],
         url="https://nas.example:5001/webapi/auth.cgi?api=SYNO.API.Auth&method=login"
             f"&account=ops&passwd={NAS_PASSWORD}&session=SurveillanceStation&format=sid"),
    node("in3", "http in", url=f"/hook/{HOOK_TOKEN}", method="post", wires=[["fn3"]]),
    node("fn3", "function", name="Check", wires=[["ex3"]],
         func=f'const hookToken = "{HOOK_TOKEN}";\nreturn msg;'),
    node("ex3", "exec", name="Reboot", command="sudo reboot", addpay="", wires=[[], [], []]),
]


def test_a_route_keeps_its_words_and_loses_only_a_real_secret(pytester: pytest.Pytester,
                                                              write_flows) -> None:
    """An application name beside a login's password is no secret, so the route that shares
    the word is printed as written; a token that is a secret elsewhere in the app is masked in
    the route too."""
    out = pytester.path / "f.json"
    result = pytester.runpytest("-p", "no:cacheprovider", "-rA",
                                f"--nocode-app=nodered+file:{write_flows(ROUTE_FLOWS)}",
                                f"--nocode-json={out}")
    text = out.read_text()
    open_routes = [f["message"] for f in json.loads(text)["findings"]
                   if f["rule"] == "AUTH001"]
    assert any("'/SurveillanceStation/off'" in m for m in open_routes)
    assert any("'/hook/" in m and "masked" in m for m in open_routes)
    everything = text + result.stdout.str() + result.stderr.str()
    assert NAS_PASSWORD not in everything and HOOK_TOKEN not in everything
