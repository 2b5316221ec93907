"""cevns.interop."""
