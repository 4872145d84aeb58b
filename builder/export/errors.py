"""The export error, importable without importing the exports."""


class ExportError(RuntimeError):
    """An export that cannot be done or did not verify; the message says why and what to do."""
