"""``pytest-nocode`` command: ``scan`` (built-in checks from any folder), ``rules`` (what
they check), ``verify-log`` (is the evidence log intact), ``approve`` (sign-off) and
``merge`` (CI shards' reports into one).

The plugin itself is plain pytest (``pytest --nocode-app=…``); this command is a shortcut for
people who do not keep a test folder, and a tool for auditors checking what runs left behind.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_nocode import __version__


def _verify_log(args: argparse.Namespace) -> int:
    from pytest_nocode.reporting.evidence_log import (
        KEY_VARIABLE,
        UNKEYED_NOTE,
        evidence_key,
        verify,
    )

    key = evidence_key()
    if key is None:
        print(f"{KEY_VARIABLE} is not set: keyed records cannot be verified, unkeyed ones only "
              "show accidental or naive edits", file=sys.stderr)
    started = time.perf_counter()
    verdict = verify(Path(args.path), head=args.head, key=key)
    elapsed = time.perf_counter() - started
    stream = sys.stdout if verdict.ok else sys.stderr
    print(f"{args.path}: {verdict.message}", file=stream)
    if verdict.ok and verdict.head:
        print(f"head {verdict.head}")
    if verdict.ok and verdict.records and not verdict.keyed:
        print(f"note: {UNKEYED_NOTE}", file=sys.stderr)
    if args.timing:
        print(f"verified in {elapsed:.3f} s", file=sys.stderr)
    return 0 if verdict.ok else 1


def _merge(args: argparse.Namespace) -> int:
    from pytest_nocode.errors import NocodeError
    from pytest_nocode.reporting.merge import merge

    try:
        merged = merge(Path(args.out), [Path(s) for s in args.shards],
                       Path(args.evidence_log) if args.evidence_log else None)
    except NocodeError as exc:
        print(f"pytest-nocode merge: {exc}", file=sys.stderr)
        return 2
    shards = merged.report["run"]["shards"]
    print(f"merged {len(shards)} shard(s), {len(merged.report['apps'])} app(s), "
          f"{len(merged.report['findings'])} finding(s):")
    for path in merged.written:
        print(f"  {path}")
    return 1 if merged.failed else 0


def _scan(args: argparse.Namespace, extra: list[str]) -> int:
    """Only the built-in checks, from any folder: collection starts in an empty folder, so
    the current folder's own tests are not run (use plain pytest for those)."""
    import tempfile

    import pytest

    with tempfile.TemporaryDirectory(prefix="pytest-nocode-scan-") as empty:
        ini = Path(empty) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        argv = [*(f"--nocode-app={uri}" for uri in args.uris), "-c", str(ini),
                "--rootdir", str(Path.cwd()), "-p", "no:cacheprovider", *extra, empty]
        return int(pytest.main(argv))


def _approve(args: argparse.Namespace, extra: list[str]) -> int:
    """The sign-off, as a pytest run in the current folder (its ini names the apps, policy
    and evidence log, or pass --nocode-app=…, --nocode-evidence-log=… after the options) that
    loads the apps and runs no check."""
    import pytest

    argv = [f"--nocode-baseline={args.baseline}", f"--nocode-approve-by={args.by}",
            f"--nocode-approve-why={args.why}", "-p", "no:cacheprovider", "-q", *extra]
    if args.ticket:
        argv.append(f"--nocode-approve-ticket={args.ticket}")
    return int(pytest.main(argv))


def builtin_rules() -> list[Any]:
    """Every built-in rule, read from the check modules' markers, ordered by id."""
    from pytest_nocode.testing import builtin_checks, rule_of

    rules = {rule.id: rule for rule in map(rule_of, builtin_checks())}
    return [rules[k] for k in sorted(rules)]


def _rules(args: argparse.Namespace) -> int:
    rules = builtin_rules()
    if args.format == "json":
        print(json.dumps([{"id": r.id, "title": r.title, "category": r.category,
                           "severity": r.severity.label, "owasp": list(r.owasp),
                           "rationale": r.rationale, "remediation": r.remediation,
                           "requires": list(r.requires), "platforms": list(r.platforms),
                           "docs": r.docs} for r in rules], indent=2))
    elif args.format == "markdown":
        print("| rule | severity | category | OWASP LCNC | title |")
        print("|---|---|---|---|---|")
        for r in rules:
            print(f"| {r.id} | {r.severity.label} | {r.category} | {', '.join(r.owasp)} | "
                  f"{r.title} |")
    else:
        for r in rules:
            print(f"{r.id:9} {r.severity.label:8} {r.category:14} {r.title}")
            if args.verbose:
                for label, text in (("why", r.rationale), ("fix", r.remediation)):
                    if text:
                        print(f"          {label}: {' '.join(text.split())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-nocode",
        description="Scan no-code apps with the built-in checks, list the rules, verify an "
                    "evidence log. The plugin itself runs under plain pytest "
                    "(pytest --nocode-app=URI).")
    parser.add_argument("--version", action="version", version=f"pytest-nocode {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    verify = sub.add_parser(
        "verify-log", help="verify an evidence log's hash chain",
        description="Verify the hash chain of an evidence log (--nocode-evidence-log), with "
                    "the HMAC key from NOCODE_EVIDENCE_KEY when the log is keyed. Exit 0 "
                    "when intact, 1 naming the first record altered, removed or inserted "
                    "(or saying that the key is needed).")
    verify.add_argument("path", metavar="PATH", help="the evidence log (JSON lines)")
    verify.add_argument("--head", metavar="HASH",
                        help="the last record's hash as anchored elsewhere; catches records "
                             "removed from the end")
    verify.add_argument("--timing", action="store_true", help="print how long it took")
    verify.set_defaults(func=_verify_log)
    scan = sub.add_parser(
        "scan", help="run the built-in checks against apps (any other option goes to pytest)",
        description="Run only the built-in checks against the apps, from any folder. Options "
                    "it does not know (--nocode-json=…, --alluredir=…, -n 4) go to pytest.")
    scan.add_argument("uris", nargs="+", metavar="URI", help="app URI or 'demo'")
    scan.set_defaults(func=_scan, passthrough=True)
    approve = sub.add_parser(
        "approve", help="sign off: make the current snapshot the approved baseline",
        description="Make the apps' current snapshots the approved baseline (replacing the "
                    "file) and record who, why, when, the ticket and the hashes in the "
                    "evidence log. Runs no check. The apps, policy and evidence log come from "
                    "the current folder's pytest configuration or from options after these "
                    "(--nocode-app=URI, --nocode-evidence-log=PATH, …).")
    approve.add_argument("--baseline", required=True, metavar="PATH",
                         help="the baseline file to (re)write")
    approve.add_argument("--by", required=True, metavar="WHO", help="who signs off")
    approve.add_argument("--why", required=True, metavar="TEXT", help="why it is approved")
    approve.add_argument("--ticket", metavar="ID", help="the change ticket")
    approve.set_defaults(func=_approve, passthrough=True)
    merge = sub.add_parser(
        "merge", help="merge CI shards' reports into one",
        description="Merge the outputs of CI shards (each SHARD the folder of one job's "
                    "artifact: its --nocode-json report and, if written, its SARIF, evidence "
                    "log and Allure results) into OUT: findings.json, findings.sarif, "
                    "allure-results/ and evidence-log.jsonl. Exit 0 when no finding fails, 1 "
                    "when one does (as pytest would), 2 when the shards cannot be merged.")
    merge.add_argument("out", metavar="OUT", help="folder for the merged outputs")
    merge.add_argument("shards", nargs="+", metavar="SHARD", help="a shard's folder")
    merge.add_argument("--evidence-log", metavar="PATH",
                       help="append the merged run's record to this log (default "
                            "OUT/evidence-log.jsonl)")
    merge.set_defaults(func=_merge)
    rules = sub.add_parser("rules", help="list the built-in rules",
                           description="List the built-in rules with severity and category.")
    rules.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    rules.add_argument("-v", "--verbose", action="store_true",
                       help="with rationale and remediation")
    rules.set_defaults(func=_rules)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if getattr(args, "passthrough", False):
        return int(args.func(args, extra))
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
