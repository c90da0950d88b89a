"""Frames in, numbers out: camera sources, face detection, the expression classifier and the per-frame
pipeline.  A frame never leaves this package: what crosses its boundary is a face box and probabilities."""
