"""The files a shell command keeps data in: the fixed paths it writes (``> file``, ``tee
file``, a script's ``fs.writeFileSync('file', …)``) and the ones it reads back (``cat file``,
``< file``, ``jq … file``, ``fs.readFileSync('file')``).

A flow that hands data from one command to a later one through a file on its own host (one
step writes ``/data/clips.json``, another runs ``cat /data/clips.json``) passes that data on as
surely as a wire does: the platform adapters name these files as the steps' data stores, and
the data-flow engine joins each read to what the writers were given (see
:meth:`pytest_nocode.dataflow.DataFlow._stores_written_then_read`). Only a path written out
in full counts; one filled in at run time (``{{ }}``, ``$VAR``, ``${…}``, a glob) names no one
file, and the devices and process files (``/dev/null``, ``/proc/…``) hold no data.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

import re

# a path written out in full: absolute, home-relative or ./-relative, or a bare name with an
# extension (``out.json``); no expression, variable or glob in it
_PATH = r"(?P<path>(?:/|~/|\.{1,2}/)[\w.@+-][\w./@+-]*|[\w@+-]+(?:\.[\w-]+)+)"
_QUOTED_PATH = rf"(?P<q>['\"]?){_PATH}(?P=q)(?![\w./$*{{}}@+-])"
# ``> file`` / ``>> file`` (not ``2>``, ``>&2``, ``=>`` or ``->``, nor a comparison in a test)
_REDIRECT_OUT = re.compile(rf"(?<![\w=>&<-])>>?\s*{_QUOTED_PATH}")
_REDIRECT_IN = re.compile(rf"(?<![<\w])<(?![<(])\s*{_QUOTED_PATH}")
_TEE = re.compile(rf"\btee\s+(?:-a\s+|--append\s+)?{_QUOTED_PATH}")
# the programs that print (or query) the files they are given: every plain argument after
# them up to the end of the command is a file they read
_READERS = re.compile(r"(?:^|[;&|(`]|\$\()\s*(?:sudo\s+)?(?P<prog>cat|head|tail|jq|yq|less|"
                      r"base64|xxd)\b(?P<args>[^;&|\n`)>]*)", re.M)
_ARG_PATH = re.compile(rf"(?:^|\s){_QUOTED_PATH}")
_JS_WRITE = re.compile(r"\b(?:fs\.)?(?:writeFileSync|appendFileSync|writeFile|appendFile)"
                       rf"\(\s*{_QUOTED_PATH}")
_JS_READ = re.compile(rf"\b(?:fs\.)?readFileSync\(\s*{_QUOTED_PATH}")
_PY_OPEN = re.compile(rf"\bopen\(\s*{_QUOTED_PATH}\s*(?:,\s*['\"](?P<mode>[rwab+t]*)['\"])?")
# what holds no data of the flow's: devices, the kernel's process files, and the program's own
# files (a script run, a key or a config file is not data a step wrote)
_NOT_DATA = re.compile(r"^/(?:dev|proc|sys)/")


def _fixed(path: str) -> bool:
    return not _NOT_DATA.match(path) and not re.search(r"[*?{}$]", path)


def files_written(command: str) -> tuple[str, ...]:
    """The fixed paths ``command`` (a shell command line, or the script it runs) writes."""
    if not isinstance(command, str):
        return ()
    found = [m.group("path") for pattern in (_REDIRECT_OUT, _TEE, _JS_WRITE)
             for m in pattern.finditer(command)]
    found += [m.group("path") for m in _PY_OPEN.finditer(command)
              if set(m.group("mode") or "r") & set("wa+")]
    return tuple(dict.fromkeys(p for p in found if _fixed(p)))


def files_read(command: str) -> tuple[str, ...]:
    """The fixed paths ``command`` reads back: what ``cat``, ``head``, ``tail``, ``jq`` and
    the like print, what ``<`` feeds in, what a script reads."""
    if not isinstance(command, str):
        return ()
    found: list[str] = []
    for m in _READERS.finditer(command):
        args = m.group("args")
        if "<<" in args:
            continue  # ``cat << EOF``: prints the heredoc it is given, no file
        found += [a.group("path") for a in _ARG_PATH.finditer(args)
                  if not a.group("path").startswith("-")]
    found += [m.group("path") for pattern in (_REDIRECT_IN, _JS_READ)
              for m in pattern.finditer(command)]
    found += [m.group("path") for m in _PY_OPEN.finditer(command)
              if not set(m.group("mode") or "r") & set("wa+")]
    if "jq" in command:  # a jq filter is an argument too: only paths with a / or an extension
        found = [p for p in found if "/" in p or "." in p]
    return tuple(dict.fromkeys(p for p in found if _fixed(p)))
