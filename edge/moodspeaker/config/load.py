"""Load, validate and change the configuration through the one schema (`edit.save` writes it).

Validation collects every problem at once and names the file, the key, the bad value and the
expected form; an unknown key is reported with the nearest known key (Mopidy's habit), because a
typo that is silently ignored is the worst kind of setting.  Once every setting is right on its own,
the rules between settings (config.rules: the start profile is one of the profiles) are checked:
strictly for a change (`with_changes`: `--set`, `config set`, the page), while a config file
written before a rule and breaking it (`load`) is kept working, with a warning (config.rules.kept).
So is a file's entry of library.servers that cannot be used as written (the speaker skips that
server), which a change setting library.servers may not bring in.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import tomllib
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from moodspeaker.config.coerce import coerce
from moodspeaker.config.messages import label_of, refused_in_file
from moodspeaker.config.rules import conflicts, kept, skipped_servers, unusable_servers
from moodspeaker.config.schema import Config

#: Where the device keeps its configuration (written by the provisioning scripts).
SYSTEM_CONFIG = Path("/etc/moodspeaker/config.toml")
ENV_CONFIG = "MOODSPEAKER_CONFIG"

log = logging.getLogger(__name__)
#: The warnings of config.rules.kept said so far, by file: once per process, not at every read of the
#: file (the page reads it for each Settings page it shows)
_warned: set[str] = set()


class ConfigError(ValueError):
    """One or more settings are wrong; `problems` lists each as a full sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class SettingInfo:
    """What the CLI and the web form need to show and check one setting."""

    section: str
    key: str
    kind: str  # "bool" | "int" | "float" | "str" | "choice" | "list"
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    secret: bool = False
    unit: str = ""
    advanced: bool = False
    required: bool = False  # text that may not be blank
    absolute: bool = False  # text that is a full path (~ allowed)
    topic: bool = False  # text that is an MQTT topic prefix (declare.TOPIC_PREFIX)
    label: str = ""  # the setting in words, as the form shows it (messages.label_of)
    choice_labels: tuple[str, ...] = ()  # each of `choices` in words, in their order (setting(words=...))

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.key}"


def _section_types() -> dict[str, type[Any]]:
    hints = typing.get_type_hints(Config)
    return {f.name: hints[f.name] for f in dataclasses.fields(Config)}


def _kind_of(annotation: Any) -> tuple[str, tuple[str, ...]]:
    if annotation is bool:
        return "bool", ()
    if annotation is int:
        return "int", ()
    if annotation is float:
        return "float", ()
    if annotation is str:
        return "str", ()
    origin = get_origin(annotation)
    if origin is Literal:
        return "choice", tuple(str(a) for a in get_args(annotation))
    if origin is tuple:
        return "list", ()
    raise TypeError(f"unsupported setting type {annotation!r}")  # a schema bug, caught by the tests


def describe() -> Iterator[SettingInfo]:
    """Every setting of the schema, in declaration order."""
    for section, section_type in _section_types().items():
        hints = typing.get_type_hints(section_type)
        for f in dataclasses.fields(section_type):
            kind, choices = _kind_of(hints[f.name])
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[operator]
            yield SettingInfo(
                section=section,
                key=f.name,
                kind=kind,
                default=default,
                help=f.metadata.get("help", ""),
                choices=choices,
                min=f.metadata.get("min"),
                max=f.metadata.get("max"),
                secret=bool(f.metadata.get("secret", False)),
                unit=f.metadata.get("unit", ""),
                advanced=bool(f.metadata.get("advanced", False)),
                required=bool(f.metadata.get("required", False)),
                absolute=bool(f.metadata.get("absolute", False)),
                topic=bool(f.metadata.get("topic", False)),
                label=label_of(f.name, f.metadata.get("unit", ""), f.metadata.get("label", "")),
                choice_labels=tuple(f.metadata.get("choice_labels", {}).get(c, c) for c in choices),
            )


def _settings_by_section() -> dict[str, dict[str, SettingInfo]]:
    out: dict[str, dict[str, SettingInfo]] = {}
    for info in describe():
        out.setdefault(info.section, {})[info.key] = info
    return out


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _homes(key: str, schema: Mapping[str, Mapping[str, SettingInfo]]) -> list[str]:
    """The sections that have a setting called `key`."""
    return [section for section, keys in schema.items() if key in keys]


def _home_section(key: str, schema: Mapping[str, Mapping[str, SettingInfo]]) -> str | None:
    """The section that has a setting called `key`, if exactly one has."""
    homes = _homes(key, schema)
    return homes[0] if len(homes) == 1 else None


def from_mapping(raw: Mapping[str, Any], source: str = "config", *, file: bool = False) -> Config:
    """Build a validated Config from a TOML-shaped mapping; every problem is reported at once.

    `file`: `raw` is a config file's (`load`): a rule between settings it breaks that a file written
    before the rule could (config.rules.kept) is kept working, with a warning naming `source`."""
    return checked(written(raw, source), source, file=file)


def checked(config: Config, source: str = "config", *, file: bool = False) -> Config:
    """`config` (settings each right on its own: `written`) once the rules between settings are
    checked, as `from_mapping` does (`file`: kept working against a rule, with a warning)."""
    if file:
        config, warnings = kept(config)
        for warning in warnings:
            if f"{source}: {warning}" not in _warned:
                _warned.add(f"{source}: {warning}")
                log.warning("%s: %s", source, warning)
    broken = conflicts(config)  # rules between settings, once each setting is right on its own
    if broken:
        raise ConfigError([f"{source}: {c.in_file}" for c in broken])
    return config


def written(raw: Mapping[str, Any], source: str = "config") -> Config:
    """The Config `raw` says, each setting checked on its own but not the rules between them: a
    config file's values as written (what a save compares with, config.edit); `from_mapping` for
    a config to use."""
    schema = _settings_by_section()
    problems: list[str] = []
    sections: dict[str, Any] = {}
    for section, body in raw.items():
        if section not in schema:
            if not isinstance(body, Mapping):  # `volume = 0.3` above every [section] header
                homes = _homes(section, schema)
                where = " or ".join(f"[{h}]" for h in homes) if homes else "its [section]"
                problems.append(
                    f"{source}: {section} = {body!r} is outside any [section]: put it under {where}"
                )
            else:
                problems.append(f"{source}: unknown section [{section}]{_suggest(section, list(schema))}")
            continue
        if not isinstance(body, Mapping):
            problems.append(f"{source}: [{section}] must be a table of settings, not {type(body).__name__}")
            continue
        values: dict[str, Any] = {}
        for key, value in body.items():
            info = schema[section].get(key)
            if info is None:
                # the exact name in another section beats a near miss here: privacy.retention_days
                # under [web] is that setting in the wrong place, not a typo of web.session_days
                home = _home_section(key, schema)
                hint = f" (it belongs in [{home}])" if home else _suggest(key, list(schema[section]))
                problems.append(f"{source}: unknown setting {section}.{key}{hint}")
                continue
            try:
                values[key] = coerce(info, value)
            except ValueError as exc:
                problems.append(f"{source}: {refused_in_file(info, value, str(exc))}")
        sections[section] = values
    if problems:
        raise ConfigError(problems)
    section_types = _section_types()
    built = {name: section_types[name](**sections.get(name, {})) for name in section_types}
    return Config(**built)


def to_mapping(
    config: Config, *, include_defaults: bool = False, hide_secrets: bool = False
) -> dict[str, Any]:
    """The config as TOML-shaped data; by default only what differs from the schema's defaults."""
    out: dict[str, dict[str, Any]] = {}
    for info in describe():
        value = getattr(getattr(config, info.section), info.key)
        if not include_defaults and value == info.default:
            continue
        if hide_secrets and info.secret:
            value = "********" if value else ""
        out.setdefault(info.section, {})[info.key] = list(value) if isinstance(value, tuple) else value
    return out


def with_changes(
    config: Config, changes: Mapping[str, Any], source: str = "change", *, held: bool = False
) -> Config:
    """Apply `{"section.key": value}` changes, validated exactly like the file; all or nothing.

    A change that sets library.servers is refused for an entry that cannot be used as written
    (config.rules.unusable_servers), unless the changes are `held`: what the config file holds
    already (the running speaker following its file, service.file_settings), taken as `load`
    takes the file: with a warning, the server skipped."""
    raw = to_mapping(config)
    problems: list[str] = []
    for dotted, value in changes.items():
        section, _, key = dotted.partition(".")
        if not key:
            problems.append(f"{source}: {dotted!r} is not of the form section.key")
            continue
        raw.setdefault(section, {})[key] = value
    if problems:
        raise ConfigError(problems)
    new = from_mapping(raw, source)
    if "library.servers" in changes and not held:
        refused = [f"{source}: {problem}" for problem in unusable_servers(new)]
        if refused:
            raise ConfigError(refused)
    return new


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Which file to read: --config, then $MOODSPEAKER_CONFIG, then /etc/moodspeaker/config.toml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    return SYSTEM_CONFIG if SYSTEM_CONFIG.exists() else None


def load(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate a config file; no file at all means the embedded defaults."""
    chosen = config_path(path)
    if chosen is None:
        return Config()
    return from_mapping(read_file(chosen)[1], str(chosen), file=True)


def file_conflicts(path: str | os.PathLike[str] | None = None) -> list[str]:
    """The rules the config file breaks though it loads (config.rules.kept: its start profile taken
    as listed, an entry of library.servers that cannot be used skipped, each with a warning), each
    naming the file, the settings and how to mend it; none without a file.  `config check` and
    `doctor` fail on them: the speaker runs, but not as the file says, which a provisioning script
    checking the file must learn from the exit code, not from a log line.  A ConfigError as `load`
    raises one."""
    chosen = config_path(path)
    if chosen is None:
        return []
    as_written = written(read_file(chosen)[1], str(chosen))
    return [
        *(f"{chosen}: {c.in_file}" for c in conflicts(as_written)),
        *(f"{chosen}: {problem}" for problem in skipped_servers(as_written)),
    ]


def read_file(chosen: Path) -> tuple[str, dict[str, Any]]:
    """Config file `chosen`'s text and its TOML, read and parsed once (config.edit.update edits the
    text it checked); a ConfigError saying why it cannot be read or parsed."""
    try:
        data = chosen.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            [
                f"{chosen}: no such config file (create it, an empty file means the defaults; "
                f"or leave out --config and ${ENV_CONFIG} for the built-in defaults)"
            ]
        ) from None
    except PermissionError:
        raise ConfigError(
            [
                f"{chosen}: cannot be read (permission denied): "
                "run the command with sudo or as the speaker's user"
            ]
        ) from None
    except OSError as exc:
        raise ConfigError([f"{chosen}: cannot be read ({exc.strerror})"]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{chosen}: not UTF-8 text (byte {exc.start})"]) from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{chosen}: not valid TOML: {exc}"]) from None


def data_dir(config: Config) -> Path:
    """The expanded data folder (created on demand by whoever writes there)."""
    return Path(os.path.expanduser(config.device.data_dir))
