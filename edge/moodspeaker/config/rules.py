"""Rules between settings: what no one setting's type or range can say (the schema's validation hook).

`load.from_mapping` checks them after each setting's own check, so the config file, `--set`,
`moodspeaker config set` and the page's Settings (whose saves go through `with_changes`) all refuse
the same.  The one rule: recommend.profile, the listener the speaker starts with, is one of
recommend.profiles.  It used to live in the page's form only, so `--set recommend.profile=bob` or a
hand-edited file started the speaker on a listener the household's list does not have.  The form
still names the field it refuses by its label (forms.parse_section asks `conflicts` too).
"""

from __future__ import annotations

from dataclasses import dataclass

from moodspeaker.config.schema import Config


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
