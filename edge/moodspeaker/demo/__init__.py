"""Assets for `moodspeaker demo` and the end-to-end test: generated clips, a replayed public-domain face."""
