"""cevns.stats."""
