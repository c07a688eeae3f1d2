"""Shipments in from the seller, tracking out to the channels (the outbox)."""
