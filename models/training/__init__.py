"""Training, export and Edge TPU checks for Moodspeaker's expression model (needs the `train` extra)."""
