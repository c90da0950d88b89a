"""Topic prefixes the speaker would publish under but Home Assistant would never read are refused.

Why: 'homeassistant/' (a trailing '/') used to pass both checks; the speaker then announced itself on
'homeassistant//device/<id>/config' and waited for HA's birth on 'homeassistant//status', which HA never
uses, so it was never discovered and nothing said why.  The config loader (every way a setting comes in:
the file, --set, `config set`, the page's Settings) refuses such a prefix naming the setting; Topics
refuses it too for prefixes from elsewhere.
"""

from __future__ import annotations

import pytest

from moodspeaker.config import ConfigError, with_changes
from moodspeaker.config.load import from_mapping
from moodspeaker.config.schema import Config
from moodspeaker.mqtt.topics import TopicError, Topics, resolve_device_id

BAD = ["moodspeaker/", "/moodspeaker", "mood//speaker", "home/#", "a+b", "with space", "$SYS", ""]
GOOD = ["moodspeaker", "home/speakers", "homeassistant", "Haus-1/Küche", "a$b"]


@pytest.mark.parametrize("prefix", BAD)
def test_a_broken_prefix_is_refused_by_the_config_naming_the_setting(prefix: str) -> None:
    for key in ("base_topic", "discovery_prefix"):
        with pytest.raises(ConfigError) as refused:
            from_mapping({"mqtt": {key: prefix}}, "config.toml", file=True)
        (problem,) = refused.value.problems
        assert problem.startswith(f"config.toml: mqtt.{key} = {prefix!r} is invalid: expected an MQTT topic")
        with pytest.raises(ConfigError):  # a change (--set, config set, the page) the same
            with_changes(Config(), {f"mqtt.{key}": prefix})


@pytest.mark.parametrize("prefix", BAD)
def test_topics_refuse_a_broken_prefix_naming_which(prefix: str) -> None:
    with pytest.raises(TopicError, match=r"mqtt\.base_topic"):
        Topics(prefix, "kitchen")
    with pytest.raises(TopicError, match=r"mqtt\.discovery_prefix"):
        Topics("moodspeaker", "kitchen", prefix)


@pytest.mark.parametrize("prefix", GOOD)
def test_plain_prefixes_pass_both(prefix: str) -> None:
    config = from_mapping({"mqtt": {"base_topic": prefix, "discovery_prefix": prefix}})
    topics = Topics(config.mqtt.base_topic, "kitchen", config.mqtt.discovery_prefix)
    assert topics.root == f"{prefix}/kitchen"


def test_a_device_id_with_no_usable_character_is_named_as_typed() -> None:
    with pytest.raises(TopicError, match=r"device\.id '日本' has none of the characters"):
        resolve_device_id("日本", "x")
