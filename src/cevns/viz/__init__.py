"""cevns.viz."""
