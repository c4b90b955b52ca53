"""The domain: pure, immutable, no I/O, no clock. Operations return ``Change(order, events)``."""
