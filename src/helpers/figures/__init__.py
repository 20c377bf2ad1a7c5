"""Floor 4: every plot; titles, axes and legends come from the message catalogue (``narrative``)."""
