"""Reading media files: probing containers and streams (decoding comes with the examination)."""
