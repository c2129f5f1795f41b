"""Robot listeners: they watch a run (mask secrets, record requests) and define no keywords."""
