"""docflow: runs a government work programme from its documents."""

__version__ = "0.1.0"
