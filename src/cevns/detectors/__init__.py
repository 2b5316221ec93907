"""cevns.detectors."""
