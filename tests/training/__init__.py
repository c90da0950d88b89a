"""Tests of the expression-model training, export, evaluation and calibration (issue #3)."""
