"""Moodspeaker phone page (Flask): setup, status, controls and privacy, via the ControlAPI only."""
