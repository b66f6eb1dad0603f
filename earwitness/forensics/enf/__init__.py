"""Electric network frequency: the hum track, its steps, where they lie, and the check."""
