"""Transparency: the privacy notice and the records of processing, generated from the data map."""
