"""cevns.core."""
