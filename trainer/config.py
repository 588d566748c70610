"""TOML configs: load, override from the command line (``--set a.b=value``), validate.

A schema is a nested dict whose leaves are :class:`Option`. Validation fills defaults, checks
types, choices and bounds, refuses unknown keys, and resolves ``path`` options relative to the
config file, so a config means the same thing wherever it is run from. Every error names the
file and the dotted key.
"""

from __future__ import annotations

import copy
import math
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REQUIRED = object()


class ConfigError(ValueError):
    """An invalid config: the message names the file and the key (or line)."""


@dataclass(frozen=True)
class Option:
    type: type | tuple[type, ...]
    default: Any = REQUIRED
    choices: tuple | None = None
    path: bool = False  # resolve relative to the config file's folder
    help: str = ""
    low: float | None = None  # numbers: the least value allowed
    above: float | None = None  # numbers: values must be greater than this
    high: float | None = None  # numbers: the greatest value allowed


def load_toml(path: str | os.PathLike) -> dict:
    """A TOML file's table. A UTF-8 byte-order mark (which Windows editors write) is skipped:
    the TOML parser would call it an invalid statement."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def parse_override(item: str) -> tuple[list[str], Any]:
    """``"model.C=2"`` → (["model", "C"], 2); values are TOML values, or bare strings."""
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {item!r}: expected dotted.key=value")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key.split("."), value


def apply_overrides(config: dict, overrides: list[str] | tuple[str, ...]) -> dict:
    config = copy.deepcopy(config)
    for item in overrides:
        keys, value = parse_override(item)
        node = config
        for key in keys[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {item!r}: {key!r} is not a table")
            node = child
        node[keys[-1]] = value
    return config


def _type_name(expected) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(t.__name__ for t in types)


def _check_value(value, option: Option, key: str, where: str, base: Path):
    expected = option.type
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    ok = isinstance(value, expected) and not (
        isinstance(value, bool) and bool not in (expected if isinstance(expected, tuple) else (expected,)))
    if not ok:
        raise ConfigError(f"{where}: {key}: expected {_type_name(expected)}, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{where}: {key}: must be a finite number, got {value!r}")
    if option.choices is not None and value not in option.choices:
        raise ConfigError(f"{where}: {key}: {value!r} is not one of {', '.join(map(str, option.choices))}")
    for bound, fails, words in ((option.low, lambda b: value < b, "at least"),
                                (option.above, lambda b: value <= b, "above"),
                                (option.high, lambda b: value > b, "at most")):
        if bound is not None and fails(bound):
            raise ConfigError(f"{where}: {key}: must be {words} {bound}, got {value!r}")
    if option.path and isinstance(value, str):
        value = str((base / os.path.expandvars(value)).resolve())
    return value


def validate(config: dict, schema: dict, where: str, base: Path, prefix: str = "") -> dict:
    """Return a copy of ``config`` with defaults filled in; raise ConfigError on any problem."""
    unknown = sorted(set(config) - set(schema))
    if unknown and "*" not in schema:
        known = ", ".join(sorted(k for k in schema if k != "*"))
        raise ConfigError(f"{where}: unknown key {prefix + unknown[0]!r} (known here: {known})")
    result = {}
    for key in sorted(set(schema) | set(config)):
        if key == "*":
            continue
        spec = schema.get(key, schema.get("*"))
        dotted = prefix + key
        if isinstance(spec, dict):
            value = config.get(key, {})
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {dotted}: expected a table, got {value!r}")
            result[key] = validate(value, spec, where, base, dotted + ".")
        elif key in config:
            result[key] = _check_value(config[key], spec, dotted, where, base)
        elif spec.default is REQUIRED:
            raise ConfigError(f"{where}: missing required key {dotted!r}")
        else:
            result[key] = copy.deepcopy(spec.default)
    return result


def load_config(path: str | os.PathLike, schema: dict, overrides=()) -> dict:
    """Load, override and validate a config file."""
    path = Path(path)
    raw = apply_overrides(load_toml(path), list(overrides))
    return validate(raw, schema, str(path), path.resolve().parent)
