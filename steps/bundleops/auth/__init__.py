"""Service-principal authentication: which auth type a run may use, and who it turns out to be."""
