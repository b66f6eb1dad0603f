"""Units of work that join the vault, media and analysis layers (the I/O edges of a stage)."""
