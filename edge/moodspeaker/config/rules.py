"""Rules between settings: what no one setting's type or range can say (the schema's validation hook).

`load.from_mapping` checks them after each setting's own check, so `--set`, `moodspeaker config set`
and the page's Settings (whose saves go through `with_changes`) all refuse the same.  The one rule:
recommend.profile, the listener the speaker starts with, is one of recommend.profiles.  It used to
live in the page's form only, so `--set recommend.profile=bob` or a hand-edited file started the
speaker on a listener the household's list does not have.  The form still names the field it
refuses by its label (forms.parse_section asks `conflicts` too).

A config FILE breaking it is not refused (`kept`): until this rule such files loaded, and the
speaker used the start profile as one of the household's (the service keeps the data of
profiles + profile).  Refusing them stopped the speaker at every start, and its page, with no
command left to mend the file (each loads it first).  The file's profile is taken as listed, with a
warning, and the next save writes the list so.

An entry of library.servers that cannot be used as written (util.net.server_url_problem: an
OpenSubsonic URL without a user name, a library server's URL with a user name or password) is
refused by a save that sets library.servers (`with_changes`), but a FILE holding one loads: such a
file started the speaker, which skipped that server (it cannot be opened), until the check refused it
at every start.  It loads with a warning (`kept`) naming library.servers and the entry, its password
masked; the speaker skips that server, the entry stays in the file as written (a save of another
setting leaves its line alone), and `config check` and `doctor` fail on it (`load.file_conflicts`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from moodspeaker.config.schema import Config
from moodspeaker.util.net import server_url_problem
from moodspeaker.util.program import command


@dataclass(frozen=True)
class Conflict:
    """One rule broken: `setting` (the one refused) does not agree with `other`."""

    setting: str  # "section.key" refused
    other: str  # "section.key" it must agree with
    in_file: str  # for the file and the command line: names both settings and how to fix it
    on_form: str  # after the refused field's label on the form: "'bob' is not one of the profiles listed"


def conflicts(config: Config) -> list[Conflict]:
    """Every rule between settings that `config` breaks (none: it is consistent)."""
    out: list[Conflict] = []
    recommend = config.recommend
    if recommend.profile not in recommend.profiles:
        out.append(
            Conflict(
                setting="recommend.profile",
                other="recommend.profiles",
                in_file=(
                    f"recommend.profile = {recommend.profile!r} is not one of recommend.profiles "
                    f"{list(recommend.profiles)!r}: add it to recommend.profiles, or start with "
                    "one of those"
                ),
                on_form=f"{recommend.profile!r} is not one of the profiles listed",
            )
        )
    return out


def unusable_servers(config: Config) -> list[str]:
    """The entries of library.servers that cannot be used as written, each in a sentence naming the
    setting and the entry (its password masked) and why (util.net.server_url_problem)."""
    return [f"library.servers: {why}" for url in config.library.servers if (why := server_url_problem(url))]


def skipped_servers(config: Config) -> list[str]:
    """`unusable_servers` as a config FILE holding them is taken (module doc): each sentence says the
    speaker skips that server, and the command that mends the entry."""
    return [
        f"{problem}; the speaker skips that server until the entry is mended "
        f"({command('config set')} library.servers=..., listing every server)"
        for problem in unusable_servers(config)
    ]


def kept(config: Config) -> tuple[Config, list[str]]:
    """A config FILE's `config` as the speaker runs with it: a start profile its profiles do not list
    is added to them (what a file written before the rule meant), with the warning saying so (names
    both settings; the caller adds the file's name).  An entry of library.servers that cannot be
    used stays as written (the speaker skips that server), with a warning (`skipped_servers`).  None
    kept: `config` itself, no warning."""
    skipped = skipped_servers(config)
    recommend = config.recommend
    if recommend.profile in recommend.profiles:
        return config, skipped
    listed = (*recommend.profiles, recommend.profile)
    warning = (
        f"recommend.profile = {recommend.profile!r} is not one of recommend.profiles "
        f"{list(recommend.profiles)!r}: it is taken as listed ({list(listed)!r}), as before this "
        f"rule; the next save ({command('config set')}, the page's Settings) writes that list into the file"
    )
    return replace(config, recommend=replace(recommend, profiles=listed)), [warning, *skipped]
