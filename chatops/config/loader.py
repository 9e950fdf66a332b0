"""Turn the config file into a `Config`, or into every problem found, each with its line.

YAML is composed into a node tree first, so each key path (`departments[2].sla.claim`) knows its
line; pydantic's error locations are then mapped onto those lines. Scalars follow YAML 1.2 where
1.1 bites config files: `no` (Norwegian) and `on` stay strings, `9:30` is not a base-60 number,
and `0123` stays a string instead of becoming an octal int.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from chatops.config.models import Config, Loc, reference_errors

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config or the environment, printable as `file:line: path: msg`."""

    source: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ConfigError(Exception):
    """The config cannot be used; `problems` lists every reason, in file order."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and numbers (see the module docstring)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def format_path(loc: Loc) -> str:
    """`('departments', 2, 'sla', 'claim')` → `departments[2].sla.claim`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class Analysis:
    """Everything the loader learnt about one config text; `check` adds environment checks."""

    source: str
    data: Any = None
    lines: dict[Loc, int] = field(default_factory=dict)
    config: Config | None = None
    problems: list[Problem] = field(default_factory=list)

    def line(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest ancestor present in the file."""
        for end in range(len(loc), 0, -1):
            if (line := self.lines.get(loc[:end])) is not None:
                return line
        return None

    def problem(self, loc: Loc, message: str, *, line_of: Loc | None = None) -> Problem:
        line = self.line(loc if line_of is None else line_of)
        return Problem(self.source, line, format_path(loc), message)


def _index_lines(node: yaml.Node, loc: Loc, analysis: Analysis, active: set[int]) -> None:
    """Record the line of every key and list item under `node`; report duplicate keys."""
    if id(node) in active:
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE or not isinstance(key_node, yaml.ScalarNode):
                continue
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in seen:
                analysis.problems.append(
                    Problem(
                        analysis.source,
                        line,
                        format_path(loc),
                        f"duplicate key '{key}' (also at line {seen[key]})",
                    )
                )
            seen[key] = line
            analysis.lines[(*loc, key)] = line
            _index_lines(value_node, (*loc, key), analysis, active)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            analysis.lines[(*loc, index)] = item.start_mark.line + 1
            _index_lines(item, (*loc, index), analysis, active)
    active.discard(id(node))


def _parse(text: str, analysis: Analysis) -> bool:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            analysis.problems.append(Problem(analysis.source, None, "", "the file is empty"))
            return False
        _index_lines(node, (), analysis, set())
        analysis.data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = exc.problem or exc.context or "cannot be parsed"
        line = mark.line + 1 if mark is not None else None
        analysis.problems.append(Problem(analysis.source, line, "", f"invalid YAML: {reason}"))
        return False
    except yaml.YAMLError as exc:
        analysis.problems.append(Problem(analysis.source, None, "", f"invalid YAML: {exc}"))
        return False
    finally:
        loader.dispose()
    if not isinstance(analysis.data, Mapping):
        analysis.problems.append(
            Problem(analysis.source, 1, "", "the top level must be a mapping of `key: value`")
        )
        return False
    return True


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, to suggest its keys."""
    current: Any = Config
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int) and get_origin(current) is list:
            current = get_args(current)[0]
        elif (
            isinstance(part, str)
            and isinstance(current, type)
            and issubclass(current, BaseModel)
            and part in current.model_fields
        ):
            current = current.model_fields[part].annotation
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = f"'{value}'" if isinstance(value, str) else str(value)
    return shown if len(shown) <= 40 else shown[:37] + "…"


def _message(error: ErrorDetails) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "literal_error":
        return f"must be {ctx['expected']} (got {_show(error['input'])})"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"must be a mapping of `key: value` (got {_show(error['input'])})"
    if kind == "list_type":
        return f"must be a list (got {_show(error['input'])})"
    if kind in ("too_short", "string_too_short"):
        return "must not be empty"
    if kind == "string_type":
        return f"must be text (got {_show(error['input'])})"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"must be a whole number (got {_show(error['input'])})"
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}"
    message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    return message[:1].lower() + message[1:]


def _schema_problem(error: ErrorDetails, analysis: Analysis) -> Problem:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden" and loc:
        key = str(loc[-1])
        model = _model_at(loc[:-1])
        close = difflib.get_close_matches(key, list(model.model_fields) if model else [], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return analysis.problem(loc[:-1], f"unknown key '{key}'{hint}", line_of=loc)
    if error["type"] == "missing" and loc:
        return analysis.problem(loc[:-1], f"missing key '{loc[-1]}'")
    return analysis.problem(loc, _message(error))


def analyse(text: str, source: str = "chatops.yaml") -> Analysis:
    """Parse and validate `text`; `config` is set only when there are no problems at all."""
    analysis = Analysis(source)
    if not _parse(text, analysis):
        return analysis
    config: Config | None = None
    try:
        config = Config.model_validate(analysis.data)
    except ValidationError as exc:
        analysis.problems += [
            _schema_problem(error, analysis)
            for error in exc.errors(include_url=False)
            # Reported below from the raw data, with the line of each reference.
            if error["type"] != "config_references"
        ]
    analysis.problems += [
        analysis.problem(loc, msg) for loc, msg in reference_errors(analysis.data)
    ]
    analysis.problems.sort(key=lambda problem: problem.line or 0)
    analysis.config = config if not analysis.problems else None
    return analysis


def read_config_text(path: str | os.PathLike[str]) -> str:
    """The file's text; ConfigError with one `cannot read` problem if that fails."""
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        reason = exc.strerror or str(exc)
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    raise ConfigError([Problem(source, None, "", f"cannot read the file ({reason})")])


def load_config_text(text: str, source: str = "chatops.yaml") -> Config:
    """Validate config text; ConfigError lists every problem (without environment checks)."""
    analysis = analyse(text, source)
    if analysis.config is None:
        raise ConfigError(analysis.problems)
    return analysis.config


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate the config file; ConfigError lists every problem. Relative paths in
    it (`knowledge[].path`) are then read from the file's folder."""
    config = load_config_text(read_config_text(path), os.fspath(path))
    return config.located(Path(os.path.abspath(path)).parent)


DEMO_SOURCE = "chatops/demo.yaml"


def demo_config_text() -> str:
    """The embedded config of `chatops demo` (console backend, sandbox platform)."""
    return resources.files("chatops").joinpath("demo.yaml").read_text(encoding="utf-8")


def load_demo_config() -> Config:
    return load_config_text(demo_config_text(), DEMO_SOURCE)
