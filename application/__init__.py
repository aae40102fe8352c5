"""Use cases over the event store, read models and the ports they need."""
