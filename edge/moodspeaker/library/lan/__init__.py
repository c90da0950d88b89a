"""Sharing one analysed library on the LAN: a small HTTP server, zeroconf, and the speaker's client."""

API_PREFIX = "/api/v1"
SERVICE_TYPE = "_moodspeaker-lib._tcp.local."
HTTP_TYPE = "_http._tcp.local."
PROTOCOL_VERSION = 1
