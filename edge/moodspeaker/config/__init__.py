"""Configuration: one schema (`schema.py`), loaded through `load.py`, saved through `edit.py`."""

from moodspeaker.config.edit import save
from moodspeaker.config.load import ConfigError, SettingInfo, data_dir, describe, load, with_changes
from moodspeaker.config.schema import Config

__all__ = ["Config", "ConfigError", "SettingInfo", "data_dir", "describe", "load", "save", "with_changes"]
