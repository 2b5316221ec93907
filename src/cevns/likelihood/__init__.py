"""cevns.likelihood."""
