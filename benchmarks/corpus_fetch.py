"""Rebuild the real-export corpus that ``corpus_bench.py`` reads, from ``SOURCES.tsv``.

    python benchmarks/corpus_fetch.py --mirror MIRROR --out CORPUS [--packages PKGS]

The corpus is never committed (third-party exports); this puts it back on a new machine.
``MIRROR`` holds one bare or working git directory per repository, ``OWNER+NAME/repo``
(what the session's ``fetch`` brings), for every GitHub repository SOURCES.tsv names. Each
GitHub row's file is read at the listed commit (``git show COMMIT:PATH``) into
``CORPUS/<file>``. ``npm:PKG@VERSION`` rows are packed from the npm registry into
``PKGS/_tgz`` and unpacked into ``PKGS/PKG/``; their example flow is copied from there.

With ``--packages``, the compose files of each GitHub row's repository that the loader would
read beside the file (``docker-compose.yml``, ``compose.yaml`` and their variants in the file's
folder and the folders above it, as far as :mod:`pytest_nocode.compose` looks) are written at
their paths to ``PKGS/compose/OWNER__NAME@COMMIT12/``, so ``corpus_bench.py --packages`` scans
the file inside that view and the app gets the trust zone of the stack that runs it.

With ``--packages``, the tree of every GitHub repository that is a Node-RED node package
(its ``package.json`` has a ``node-red`` key at that commit) is written to
``PKGS/github/OWNER__NAME/``, its corpus flows left out, so ``corpus_bench.py --packages``
scans those flows inside their package as the package's own CI does.

Prints one line per problem (missing mirror, missing commit or path) and a count at the end;
exits 1 when any corpus file could not be written.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tarfile
from collections import defaultdict
from pathlib import Path, PurePosixPath

SOURCES = Path(__file__).parent / "corpus" / "SOURCES.tsv"


def git_dir(mirror: Path, repository: str) -> Path | None:
    """The git directory the mirror keeps for ``OWNER/NAME``, bare or inside a work tree."""
    base = mirror / repository.replace("/", "+") / "repo"
    for candidate in (base / ".git", base):
        if (candidate / "HEAD").is_file():
            return candidate
    return None


def git(gd: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(gd), *args], check=True, capture_output=True
    ).stdout


def is_node_package(gd: Path, commit: str) -> bool:
    try:
        manifest = json.loads(git(gd, "show", f"{commit}:package.json"))
    except (subprocess.CalledProcessError, ValueError):
        return False
    return isinstance(manifest, dict) and "node-red" in manifest


def unpack_npm(spec: str, packages: Path) -> Path:
    """``PKGS/PKG`` for ``PKG@VERSION``, packed from the registry the first time."""
    name = spec.rsplit("@", 1)[0]
    target = packages / name
    if (target / "package.json").is_file():
        return target
    tgz_dir = packages / "_tgz"
    tgz_dir.mkdir(parents=True, exist_ok=True)
    out = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=tgz_dir, check=True, capture_output=True, text=True
    ).stdout.split()
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tgz_dir / out[-1]) as tar:
        for member in tar.getmembers():
            parts = Path(member.name).parts[1:]
            if not parts or ".." in parts or not (member.isfile() or member.isdir()):
                continue
            member.name = str(Path(*parts))
            tar.extract(member, target, filter="data")
    return target


def write_tree(gd: Path, commit: str, into: Path, leave_out: set[str]) -> int:
    """Write the tree at ``commit`` under ``into``; returns how many of its files the
    snapshot lacks (snapshots leave out files of 4 MiB and more), which are skipped."""
    listing = git(gd, "ls-tree", "-r", "-z", commit).split(b"\0")
    entries = []
    for line in filter(None, listing):
        meta, name = line.split(b"\t", 1)
        mode, kind, sha = meta.split()
        path = name.decode("utf-8", "surrogateescape")
        if kind == b"blob" and mode != b"120000" and path not in leave_out:
            entries.append((path, sha))
    batch = subprocess.run(
        ["git", "--git-dir", str(gd), "cat-file", "--batch"],
        input=b"".join(sha + b"\n" for _, sha in entries),
        check=True,
        capture_output=True,
    ).stdout
    missing, at = 0, 0
    for path, _ in entries:
        end = batch.index(b"\n", at)
        header = batch[at:end].split()
        at = end + 1
        if header[-1] == b"missing":
            missing += 1
            continue
        size = int(header[2])
        target = into / path
        if ".." in Path(path).parts:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(batch[at : at + size])
        at += size + 1
    return missing


def compose_folder(packages: Path, repository: str, commit: str) -> Path:
    """Where the compose files of ``repository`` at ``commit`` are written (and read by
    ``corpus_bench.py``)."""
    return packages / "compose" / f"{repository.replace('/', '__')}@{commit[:12]}"


def compose_paths(names: list[str], flows_path: str) -> list[str]:
    """The compose files among a tree's ``names`` that the loader may read for a flows file
    at ``flows_path``: in its folder or one of the folders above it, within the loader's
    levels, or in a direct sub-folder of one of those (the loader decides which count)."""
    from pytest_nocode.compose import COMPOSE_NAME, MAX_LEVELS

    folder = PurePosixPath(flows_path).parent
    folders = [folder, *folder.parents][:MAX_LEVELS]
    out = []
    for n in names:
        path = PurePosixPath(n)
        if not COMPOSE_NAME.match(path.name):
            continue
        parent = path.parent
        if parent in folders or (parent.parent in folders and parent != parent.parent
                                 and not parent.name.startswith(".")
                                 and parent.name != "node_modules"):
            out.append(n)
    return out


def write_compose(gd: Path, commit: str, flows_path: str, into: Path) -> int:
    """Write the compose files the loader would read beside ``flows_path``; returns how
    many."""
    names = git(gd, "ls-tree", "-r", "--name-only", "-z", commit).decode(
        "utf-8", "surrogateescape").split("\0")
    count = 0
    for name in compose_paths([n for n in names if n], flows_path):
        if ".." in PurePosixPath(name).parts:
            continue
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(git(gd, "show", f"{commit}:{name}"))
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--packages", type=Path)
    parser.add_argument("--sources", type=Path, default=SOURCES)
    args = parser.parse_args(argv)
    with args.sources.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    problems, written, composes = 0, 0, 0
    flows_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        target = args.out / row["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        origin, path = row["repository"], row["path"]
        try:
            if origin.startswith("npm:"):
                if args.packages is None:
                    print(f"{row['file']}: npm row needs --packages", file=sys.stderr)
                    problems += 1
                    continue
                data = (unpack_npm(origin[4:], args.packages) / path).read_bytes()
            else:
                gd = git_dir(args.mirror, origin)
                if gd is None:
                    print(f"{row['file']}: no mirror of {origin}", file=sys.stderr)
                    problems += 1
                    continue
                data = git(gd, "show", f"{row['commit']}:{path}")
                flows_of[(origin, row["commit"])].add(path)
                if args.packages is not None:
                    composes += write_compose(
                        gd, row["commit"], path,
                        compose_folder(args.packages, origin, row["commit"]))
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"{row['file']}: {origin} {path}: {exc}", file=sys.stderr)
            problems += 1
            continue
        target.write_bytes(data)
        written += 1
    trees = 0
    if args.packages is not None:
        for (origin, commit), flows in sorted(flows_of.items()):
            gd = git_dir(args.mirror, origin)
            if gd is None or not is_node_package(gd, commit):
                continue
            into = args.packages / "github" / origin.replace("/", "__")
            if not into.exists():
                into.mkdir(parents=True)
                lacking = write_tree(gd, commit, into, flows)
                if lacking:
                    print(
                        f"{origin}: {lacking} files of its tree not in the snapshot",
                        file=sys.stderr,
                    )
            trees += 1
    print(f"{written} corpus files written, {trees} package trees, {composes} compose files, "
          f"{problems} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
