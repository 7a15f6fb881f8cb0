"""Services above the collectors: what the CLI, the app and the benches run (a refresh)."""
