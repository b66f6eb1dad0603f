"""Video for social platforms: the original audio, its waveform and burned-in subtitles."""
