"""An app that cannot be loaded is explained once, in the summary, with what to do; each of its
checks errors with one short line that points there, and Allure files them under the app."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from pytest_nocode.appspec import parse_app_uris
from pytest_nocode.loading import what_to_do


def _closed_port() -> int:
    """A localhost port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_reason_once_in_the_summary_and_checks_error_briefly(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOCODE_HTTP_RETRIES", "0")
    port = _closed_port()
    results = pytester.path / "allure-results"
    outcome = pytester.runpytest(
        "-p", "no:cacheprovider", "--nocode-app=demo",
        f"--nocode-app=nodered+http://127.0.0.1:{port}", "--nocode-record-mode=all",
        f"--nocode-cassette-dir={pytester.path / 'cassettes'}", f"--alluredir={results}")
    text = outcome.stdout.str()
    reason = "could not be reached"
    assert text.count(reason) == 1, text  # the reason once, not once per check
    app_id = f"nodered-127.0.0.1-{port}"
    summary = text.split("pytest-nocode findings", 1)[1]
    assert f"could not load {app_id}: " in summary and reason in summary
    assert "what to do: check the URL and that the server is up" in summary
    errors = outcome.parseoutcomes()["errors"]
    assert errors >= 20  # every check of that app errored, none passed
    brief = f"app {app_id} could not be loaded, so it cannot be checked (the reason is in the"
    assert text.count(brief) >= errors  # each error's own line, and only that
    assert outcome.parseoutcomes()["failed"] > 0  # the demo app was still checked

    broken = []
    for path in results.glob("*-result.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        labels = {label["name"]: label["value"] for label in data["labels"]}
        if labels.get("parentSuite") == app_id:
            broken.append(data)
            assert data["status"] == "broken"
            assert data["name"] == labels["subSuite"] and " · " in data["name"]
            assert data["titlePath"] == [app_id, labels["suite"], labels["subSuite"]]
            assert labels["severity"] in ("blocker", "critical", "normal", "minor", "trivial")
    assert len(broken) == errors


def test_an_app_never_checked_is_not_reported_as_clean(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no finding anywhere because the only app never loaded, the summary must not read
    as a clean bill ("no findings"): it says the app was not checked, and the run fails."""
    monkeypatch.setenv("NOCODE_HTTP_RETRIES", "0")
    outcome = pytester.runpytest(
        "-p", "no:cacheprovider", f"--nocode-app=nodered+http://127.0.0.1:{_closed_port()}",
        "--nocode-record-mode=all", f"--nocode-cassette-dir={pytester.path / 'cassettes'}")
    summary = outcome.stdout.str().split("pytest-nocode findings", 1)[1]
    assert "no findings in the apps that loaded; 1 app(s) not checked" in summary
    assert "\nno findings\n" not in summary
    assert outcome.ret != pytest.ExitCode.OK


@pytest.mark.parametrize(("error", "advice"), [
    ("GET /flows: h could not be reached (connection refused or reset)", "check the URL"),
    ("n8n.example.com: n8n's public API needs an API key: set NOCODE_N8N_API_KEY",
     "set NOCODE_N8N_API_KEY to an account"),
    ("GET /api/v1/workflows: h answered 401 (gave up after 1 attempts)", "set NOCODE_N8N_API_KEY"),
    ("n8n+https://h: no cassette at c.yaml; record one with --nocode-record-mode=once",
     "record the cassette again"),
    ("GET /flows: unexpected response from h: expected a list", "points at the platform's own"),
    ("something nobody foresaw", "fix the cause above, then re-run"),
])
def test_what_to_do_follows_the_error(error: str, advice: str) -> None:
    [spec] = parse_app_uris(["n8n+https://n8n.example.com"], ["n8n", "nodered"], Path())
    assert advice in what_to_do(spec, error)
    assert what_to_do(spec, error).endswith("re-run")


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_an_unreadable_export_stops_the_run_with_one_line(pytester: pytest.Pytester,
                                                          workers: list[str]) -> None:
    """Under xdist the workers read the files too, but the run stops the same way as serially:
    the controller's one line naming the file and place, no traceback, no report that would
    read as a clean bill for an app nobody checked."""
    folder = pytester.path / "export"
    folder.mkdir()
    (folder / "broken.json").write_text('{"nodes": [\n', encoding="utf-8")
    report = pytester.path / "findings.json"
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider", *workers,
                                            f"--nocode-app=n8n+file:{folder}",
                                            f"--nocode-json={report}")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    text = outcome.stdout.str() + outcome.stderr.str()
    assert f"ERROR: {folder / 'broken.json'}:2:1: invalid JSON" in text
    assert "Traceback" not in text and "no findings" not in text
    assert not report.exists()
