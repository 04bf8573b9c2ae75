"""Web rendering shared by the CLI and the HTTP service: templates and static files."""
