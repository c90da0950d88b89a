"""Configuration: one schema (`schema.py`), loaded and saved through `load.py`."""

from moodspeaker.config.load import ConfigError, SettingInfo, data_dir, describe, load, save, with_changes
from moodspeaker.config.schema import Config

__all__ = ["Config", "ConfigError", "SettingInfo", "data_dir", "describe", "load", "save", "with_changes"]
