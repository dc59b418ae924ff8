"""links rules (family module; rules are added here)."""
