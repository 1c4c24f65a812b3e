"""CPU seconds of reading every code node of an estate: n8n Code nodes
(:func:`~pytest_nocode.platforms.n8n_code.code_field_values`) and Node-RED function nodes
(:func:`~pytest_nocode.platforms.nodered_function.follow_function`), both on the shared
tree-sitter parse.

    python benchmarks/code_reader_bench.py DIR [DIR ...] [--repeat 3]

For n8n the three questions the data flow asks of a Code node are timed together (does it
pass its input on, its readable fields, its closed fields), as a scan asks them.

Each DIR is searched for ``*.json`` exports (an estate from ``generate_org.py``, a corpus
folder). Each round starts with empty parse and result caches, as a fresh scan does, and reads
every code node once; the median process CPU time of ``--repeat`` rounds is printed (CPU rather
than wall: the machine is shared), with how many codes parse and how many fields are read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pytest_nocode.platforms import jsparse, n8n_code
from pytest_nocode.platforms.nodered_function import follow_function

N8N_CODE = ("n8n-nodes-base.code", "n8n-nodes-base.function", "n8n-nodes-base.functionItem",
            "@n8n/n8n-nodes-langchain.code")


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    """The node objects of an n8n workflow (or a list of them) or a Node-RED flow file."""
    flows = data if isinstance(data, list) else [data]
    for flow in flows:
        if not isinstance(flow, dict):
            continue
        if isinstance(flow.get("nodes"), list):
            yield from (n for n in flow["nodes"] if isinstance(n, dict))
        else:
            yield flow


def codes(folders: list[Path]) -> tuple[list[str], list[str]]:
    """(n8n Code-node JavaScript, Node-RED function code) of every export under ``folders``."""
    n8n, nodered = [], []
    for folder in folders:
        for path in sorted(folder.rglob("*.json")):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                continue
            for node in _nodes(data):
                params = node.get("parameters")
                if node.get("type") in N8N_CODE and isinstance(params, dict):
                    code = params.get("jsCode") or params.get("functionCode")
                    if isinstance(code, str) and code:
                        n8n.append(code)
                elif node.get("type") == "function" and isinstance(node.get("func"), str):
                    nodered.append(node["func"])
    return n8n, nodered


def _n8n_questions(code: str) -> object:
    """What the n8n data flow asks of each Code node: does it pass its input on, which
    fields it returns readably, and whether it lists every field it returns."""
    return (n8n_code.code_passed_input(code), n8n_code.code_field_values(code),
            n8n_code.code_closed_fields(code))


def _clear_caches() -> None:
    """Empty every per-code cache (whichever this install has), as a fresh scan starts."""
    for cached in (n8n_code._read, getattr(n8n_code.code_passed_input, "cache_clear", None)
                   and n8n_code.code_passed_input, jsparse._parsed,
                   getattr(follow_function, "cache_clear", None) and follow_function):
        if cached is not None:
            cached.cache_clear()  # type: ignore[attr-defined]


def _median_cpu(read: Callable[[str], object], texts: list[str], repeat: int) -> float:
    out = []
    for _ in range(repeat):
        _clear_caches()
        start = time.process_time()
        for text in texts:
            read(text)
        out.append(time.process_time() - start)
    return statistics.median(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n8n, nodered = codes(args.dirs)
    parsed = sum(jsparse.function_body(c) is not None for c in n8n)
    fields = sum(len(n8n_code.code_field_values(c)) for c in n8n)
    print(f"n8n Code nodes: {len(n8n)} ({len(set(n8n))} distinct texts, {parsed} parse), "
          f"{fields} fields read; median CPU of {args.repeat}: "
          f"{_median_cpu(_n8n_questions, n8n, args.repeat):.3f} s (passed input, fields, closed "
          "fields: what the data flow asks)")
    followed = sum(follow_function(c) is not None for c in nodered)
    print(f"Node-RED function nodes: {len(nodered)} ({followed} followed); median CPU of "
          f"{args.repeat}: {_median_cpu(follow_function, nodered, args.repeat):.3f} s")


if __name__ == "__main__":
    main()
