"""The `tutela` command line: parses, calls the SDK, renders. No business rules here."""
