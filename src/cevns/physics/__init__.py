"""cevns.physics."""
