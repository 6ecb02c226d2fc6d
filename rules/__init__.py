"""Lint rules, one module per family. The registry lives in `migrator.lint.registry`."""
