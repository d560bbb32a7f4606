"""Loading and validating input files: TOML -> strict pydantic models, with clear errors.

Everything a user types (scenarios, experiment specs, drill specs) goes through here:

* :func:`read_toml` parses a file; malformed TOML becomes a :class:`ConfigError` with its line.
* :func:`validate` turns a dict into a frozen :class:`StrictModel`; every pydantic error becomes a
  one-line problem naming the file, the dotted field path, the line when it can be found, and what
  was expected.
* :func:`parse_override` / :func:`apply_overrides` apply ``path.to.field=value`` settings (the CLI's
  ``--set``, experiment options) after checking that the path exists in the model.
* :func:`canonical_hash` is the SHA-256 of the validated content (defaults included, key order and
  formatting ignored), used to key caches and to record what was run.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = [
    "ConfigError",
    "Problem",
    "StrictModel",
    "apply_overrides",
    "canonical_hash",
    "canonical_json",
    "locate_line",
    "parse_override",
    "read_toml",
    "validate",
]

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


class StrictModel(BaseModel):
    """Base for every input model: unknown fields are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, and what was expected."""

    source: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.source + (f":{self.line}" if self.line else "")
        field = f" {self.path}:" if self.path else ""
        text = f"{where}:{field} {self.message}"
        # Keys, paths and names come from the user and may hold line breaks: keep one line.
        return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class ConfigError(Exception):
    """A user's input is invalid. ``str()`` is one line; :attr:`problems` has them all."""

    def __init__(self, problems: Iterable[Problem] | Problem) -> None:
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        super().__init__(self.one_line())

    def one_line(self) -> str:
        more = len(self.problems) - 1
        tail = f" (and {more} more problem{'s' * (more > 1)})" if more else ""
        return str(self.problems[0]) + tail

    @classmethod
    def single(cls, source: str, path: str, message: str, line: int | None = None) -> ConfigError:
        return cls(Problem(source, path, message, line))


# --- reading -----------------------------------------------------------------------------------

_TOML_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; return the data and the text (kept to locate error lines)."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError.single(source, "", "file not found") from None
    except IsADirectoryError:
        raise ConfigError.single(source, "", "is a directory, expected a TOML file") from None
    except UnicodeDecodeError as exc:
        raise ConfigError.single(source, "", f"not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError.single(source, "", f"cannot be read ({exc.strerror})") from None
    return parse_toml(text, source), text


_MAX_DEPTH = 64  # deeper nesting would overflow the stack of the parser, deepcopy or repr
_TOO_DEEP = f"tables or arrays nested more than {_MAX_DEPTH} levels deep"


def _too_deep(value: Any) -> bool:
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_DEPTH:
            return True
        children = node.values() if isinstance(node, dict) else node if isinstance(
            node, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return False


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error becomes a ConfigError naming its line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_LINE.search(message)
        line = int(match.group(1)) if match else None
        message = _TOML_LINE.sub("", message).strip()
        raise ConfigError.single(source, "", f"malformed TOML: {message}", line) from None
    except RecursionError:
        raise ConfigError.single(source, "", _TOO_DEEP) from None
    if _too_deep(data):
        raise ConfigError.single(source, "", _TOO_DEEP)
    return data


# --- validation --------------------------------------------------------------------------------


def _dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe_input(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        allowed = _field_names_at(model, loc[:-1])
        hint = f"; expected one of: {', '.join(allowed)}" if allowed else ""
        return f"unknown field{hint}"
    if kind == "missing":
        return "required field is missing"
    message = error["msg"]
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in {"model_type", "dict_type"}:
        return f"expected a table, got {_describe_input(error.get('input'))}"
    value = error.get("input")
    # Our own validators word their messages themselves: a whole table as "input" says nothing
    # useful, and a value the message already quotes need not be repeated.
    redundant = isinstance(value, dict | list) and kind in {"value_error", "assertion_error"}
    if "input" in error and not redundant and repr(value) not in message:
        message += f" (got {_describe_input(value)})"
    return message


def validate(
    model: type[M], data: Mapping[str, Any], source: str, text: str | None = None
) -> M:
    """Validate ``data`` into ``model``; every problem becomes a located :class:`Problem`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            message = _message(error, model)
            parts = _cross_field_parts(message) if error["type"] == "value_error" else None
            for part_loc, part_message in parts or [(loc, message)]:
                full = loc + part_loc if parts else loc
                line = locate_line(text, full) if text else None
                problems.append(Problem(source, _dotted(full), part_message, line))
        raise ConfigError(problems) from None


_PART = re.compile(r"^([A-Za-z_][\w-]*(?:\[\d+\]|\.[A-Za-z_][\w-]*)*): (.+)$", re.S)


def _cross_field_parts(message: str) -> list[tuple[Loc, str]] | None:
    """Split a model validator's message into located parts.

    Convention for validators that check several fields together: report each problem as
    ``"field.path[i].name: what is wrong"`` and join several with ``"; "``; each becomes its own
    :class:`Problem` with its line. Messages not in that form are left whole (None).
    """
    parts = []
    for piece in message.split("; "):
        match = _PART.match(piece.strip())
        if not match:
            return None
        path, text = match.groups()
        loc: list[str | int] = []
        for name, index in re.findall(r"([A-Za-z_][\w-]*)|\[(\d+)\]", path):
            loc.append(int(index) if index else name)
        parts.append((tuple(loc), text))
    return parts


# --- schema walking (for override paths and error hints) ----------------------------------------


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] layers from a field annotation."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _step(annotation: Any, part: str | int) -> Any:
    """The annotation one path segment below ``annotation``; raise KeyError if there is none."""
    annotation = _unwrap(annotation)
    if _is_model(annotation):
        if isinstance(part, str) and part in annotation.model_fields:
            return annotation.model_fields[part].annotation
        raise KeyError(part)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType) and any(_is_model(a) for a in args):
        # A union of models (e.g. release kinds): the field must exist in one of them.
        found = [a.model_fields[part].annotation for a in args
                 if _is_model(a) and isinstance(part, str) and part in a.model_fields]
        if not found:
            raise KeyError(part)
        return found[0] if all(f == found[0] for f in found) else Any
    if origin in (list, tuple) and isinstance(part, int):
        return args[0] if args else Any
    if origin in (dict, Mapping) and isinstance(part, str):
        return args[1] if len(args) == 2 else Any
    if annotation is Any:
        return Any
    raise KeyError(part)


def _field_names_at(model: type[BaseModel], loc: Loc) -> list[str]:
    annotation: Any = model
    try:
        for part in loc:
            annotation = _step(annotation, part)
    except KeyError:
        return []
    annotation = _unwrap(annotation)
    return sorted(annotation.model_fields) if _is_model(annotation) else []


# --- overrides ---------------------------------------------------------------------------------

_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$|^\d+$")


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``"a.b.c=value"``; the value is read as a TOML value, else taken as a string."""
    path, sep, raw = text.partition("=")
    path, raw = path.strip(), raw.strip()
    if not sep or not path:
        raise ConfigError.single("--set", text, "expected PATH=VALUE, e.g. rescue.teams=12")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    except RecursionError:
        raise ConfigError.single("--set", path, _TOO_DEEP) from None
    if _too_deep(value):
        raise ConfigError.single("--set", path, _TOO_DEEP)
    return path, value


def _split_path(path: str, source: str) -> list[str | int]:
    parts: list[str | int] = []
    for segment in path.split("."):
        if not _SEGMENT.fullmatch(segment):
            raise ConfigError.single(source, path, f"bad path segment {segment!r}")
        parts.append(int(segment) if segment.isdigit() else segment)
    return parts


def apply_overrides(
    data: Mapping[str, Any], overrides: Mapping[str, Any] | Iterable[tuple[str, Any]],
    model: type[BaseModel], source: str = "--set",
) -> dict[str, Any]:
    """A deep copy of raw ``data`` with each ``path -> value`` set, checking paths against
    ``model``. List items are addressed by index (``zones.3.population``)."""
    result = copy.deepcopy(dict(data))
    items = overrides.items() if isinstance(overrides, Mapping) else overrides
    for path, value in items:
        parts = _split_path(path, source)
        annotation: Any = model
        node: Any = result
        for depth, part in enumerate(parts):
            here = ".".join(map(str, parts[: depth + 1]))
            try:
                annotation = _step(annotation, part)
            except KeyError:
                allowed = _field_names_at(model, tuple(parts[:depth]))
                hint = f"; expected one of: {', '.join(allowed)}" if allowed else ""
                raise ConfigError.single(source, here, f"no such field{hint}") from None
            last = depth == len(parts) - 1
            if isinstance(part, int):
                if not isinstance(node, list) or not -len(node) <= part < len(node):
                    size = len(node) if isinstance(node, list) else 0
                    raise ConfigError.single(
                        source, here, f"no item {part} (the list has {size} items)")
            elif not isinstance(node, dict):
                raise ConfigError.single(source, here, "parent is not a table")
            if last:
                node[part] = value
            else:
                child = node[part] if isinstance(part, int) else node.get(part)
                if child is None:
                    child = {}
                    node[part] = child
                node = child
    return result


# --- hashing -----------------------------------------------------------------------------------


def canonical_json(model: BaseModel) -> str:
    """Validated content as compact JSON with sorted keys (defaults included)."""
    return json.dumps(model.model_dump(mode="json"), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=True)


def canonical_hash(model: BaseModel) -> str:
    """SHA-256 (hex) of :func:`canonical_json`: equal for equal validated content."""
    return hashlib.sha256(canonical_json(model).encode("utf-8")).hexdigest()


# --- locating lines ----------------------------------------------------------------------------

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _key_parts(text: str) -> list[str]:
    return [p.strip().strip("\"'") for p in text.split(".")]


def locate_line(text: str | None, loc: Loc) -> int | None:
    """Best-effort line number (1-based) of field ``loc`` in TOML ``text``.

    Exact key line if found, else the line of the closest enclosing table. Handles tables, arrays
    of tables (``[[zones]]`` counted in order) and dotted keys; inline tables map to their line.
    """
    if not text or not loc:
        return None
    target = tuple(loc)
    arrays: dict[tuple, int] = {}
    table: tuple = ()
    best_line, best_len = None, 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = _HEADER.match(line)
        if header:
            names = _key_parts(header.group(2))
            resolved: tuple = ()
            for i, name in enumerate(names):
                resolved += (name,)
                is_last = i == len(names) - 1
                if is_last and header.group(1) == "[[":
                    arrays[resolved] = arrays.get(resolved, -1) + 1
                if resolved in arrays:
                    resolved += (arrays[resolved],)
            table = resolved
            full = table
        else:
            key = _KEY.match(line)
            if not key:
                continue
            full = table + tuple(_key_parts(key.group(1)))
        if full == target[: len(full)] and len(full) > best_len:
            best_line, best_len = number, len(full)
            if len(full) == len(target):
                return number
    return best_line
