"""Reading config and roster files, with errors a person can act on."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from config.schema import Roster, Settings

M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file, field and problem."""


def example_config_path() -> Path:
    """The bundled example school's config."""
    return Path(str(resources.files("config").joinpath("example_school.yaml")))


def _read_yaml(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}{where}: {problem}") from None


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _validate(path: Path, model: type[M], data: Any) -> M:
    if data is None:
        raise ConfigError(f"{path}: file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        msg = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{path}: {_location(tuple(first['loc']))}: {msg}{suffix}") from None


def load_settings(path: Path | None = None) -> Settings:
    """Load and validate a school config; the bundled example when ``path`` is None."""
    path = path or example_config_path()
    return _validate(path, Settings, _read_yaml(path))


def load_roster(path: Path) -> Roster:
    """Load a roster file of the shape ``{pupils: [...], staff: [{name, role}]}``."""
    return _validate(path, Roster, _read_yaml(path))
