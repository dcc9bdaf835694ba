"""The kernel's own CLI commands, one module per noun."""
