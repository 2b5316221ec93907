"""cevns.sources."""
