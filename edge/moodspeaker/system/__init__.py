"""Device-level support: systemd notification, GPIO privacy button and status LED, the doctor's checks."""
