"""What a scenario file may contain before it is parsed into data.

Scenario files are plain YAML: mappings, lists and scalars. Before the
document is built, its event stream (which the parser produces without
recursion and without expanding anything) is scanned, and these are refused,
each at its own line:

- aliases (``*name``), which can expand a 1 KB file into gigabytes, and merge
  keys (``<<``): write the values out, or share them with ``extends:``;
- tags other than the plain scalar ones (``!!str``, ``!!int``, ``!!float``,
  ``!!bool``, ``!!null``), e.g. ``!!python/object/apply:...``;
- nesting deeper than :data:`~twin.scenario.limits.MAX_NESTING` levels;
- control characters, raw or escaped (``"\\a"``), other than tab and newline.

The file itself must be UTF-8 (a byte-order mark is allowed) and at most
:data:`~twin.scenario.limits.MAX_FILE_BYTES` long; a decoding error names its
line and column.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.reader import ReaderError

from twin.scenario.errors import Problem, ScenarioError
from twin.scenario.limits import MAX_FILE_BYTES, MAX_NESTING, MAX_PATH_LENGTH

PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null"))
"""The only explicit tags a scenario may use."""
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def read_text(path: Path) -> str:
    """The text of a scenario file; ScenarioError if it is too large or not UTF-8."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError([Problem(source, None, "", f"the file is {size:,} bytes; "
                                         f"at most {MAX_FILE_BYTES:,} are allowed")])
        data = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(source, None, "", f"cannot read file ({exc.strerror or exc})")]
                            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = data[exc.start:exc.start + 1].hex()
        raise ScenarioError([Problem(source, line, "", (
            f"the file is not UTF-8 text (byte 0x{bad} at column {column}); "
            "save it as UTF-8"))]) from None


def path_problem(value: str) -> str | None:
    """Why ``value`` cannot be a file path, or None."""
    if "\x00" in value:
        return "a file path must not contain a NUL character"
    if len(value) > MAX_PATH_LENGTH:
        return (f"a file path must be at most {MAX_PATH_LENGTH} characters "
                f"(got {len(value):,})")
    if control_character(value):
        return f"a file path must not contain {control_character(value)}"
    return None


def control_character(text: str) -> str | None:
    """A description of the first control character in ``text`` (tab and newline are
    allowed), or None."""
    for ch in text:
        if ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in ("Cc", "Cs"):
            return f"the control character U+{ord(ch):04X}"
    return None


def scan(text: str, source: str) -> list[Problem]:
    """Problems in a YAML text that are refused before it is built into data.

    A syntax error stops the scan quietly: building the document reports it.
    """
    problems: list[Problem] = []
    stack: list[list[Any]] = []  # [is_mapping, nodes seen so far, last key]
    too_deep = False
    try:
        for event in YAML(typ="rt").parse(text):
            line = event.start_mark.line + 1
            if isinstance(event, ev.MappingEndEvent | ev.SequenceEndEvent):
                stack.pop()
                _count(stack)
                continue
            if not isinstance(event, ev.NodeEvent):
                continue
            is_key = bool(stack) and stack[-1][0] and stack[-1][1] % 2 == 0
            if is_key:
                stack[-1][2] = getattr(event, "value", "?")
            key = ".".join(str(e[2]) if e[0] else str(e[1]) for e in stack)
            problems.extend(_node_problems(event, is_key, source, line, key))
            if isinstance(event, ev.CollectionStartEvent):
                stack.append([isinstance(event, ev.MappingStartEvent), 0, None])
                if len(stack) > MAX_NESTING and not too_deep:
                    too_deep = True
                    problems.append(Problem(source, line, key, (
                        f"nested more than {MAX_NESTING} levels deep; scenario files are "
                        "mappings and lists of a few levels")))
            else:
                _count(stack)
    except ReaderError as exc:
        position = max(0, int(getattr(exc, "position", 0)))
        line = text.count("\n", 0, position) + 1
        char = getattr(exc, "character", None)
        what = (f"the control character U+{char:04X}" if isinstance(char, int)
                else "a control character")
        problems.append(Problem(source, line, "", f"{what} is not allowed in a scenario file"))
    except MarkedYAMLError:
        pass
    except RecursionError:  # pragma: no cover - the event parser does not recurse
        problems.append(Problem(source, None, "", "the file is nested too deeply"))
    return problems


def _count(stack: list[list[Any]]) -> None:
    if stack:
        stack[-1][1] += 1


def _node_problems(event: Any, is_key: bool, source: str, line: int, key: str
                   ) -> list[Problem]:
    out = []
    if isinstance(event, ev.AliasEvent):
        out.append(Problem(source, line, key, (
            f"YAML aliases (*{event.anchor}) are not allowed: write the value out, or "
            "share settings with extends:")))
        return out
    tag = getattr(event, "tag", None)
    if tag is not None and not (isinstance(event, ev.ScalarEvent) and tag in PLAIN_TAGS):
        shown = tag.replace("tag:yaml.org,2002:", "!!")
        out.append(Problem(source, line, key, (
            f"the YAML tag {shown} is not allowed; allowed: plain values, or the tags "
            "!!str, !!int, !!float, !!bool, !!null on a single value")))
    if isinstance(event, ev.ScalarEvent):
        if is_key and event.value == "<<" and event.style is None:
            out.append(Problem(source, line, key, (
                "YAML merge keys (<<) are not allowed: write the keys out, or share "
                "settings with extends:")))
        # the round-trip parser marks the folds of a ">" scalar with U+0007
        value = event.value.replace("\a", "") if event.style == ">" else event.value
        control = control_character(value)
        if control:
            out.append(Problem(source, line, key, (
                f"{control} is not allowed in a value; allowed: printable text, tabs "
                "and newlines")))
    return out
