"""Internal helpers shared by the package (checks, logging, docs)."""
