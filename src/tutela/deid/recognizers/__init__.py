"""One recognizer per module; each registers itself with `tutela.deid.registry.register`."""
