"""Contention and load: many requests at once, cancellations among them."""
