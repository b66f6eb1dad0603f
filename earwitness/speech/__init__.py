"""Speech: transcription, translation, speakers (faster-whisper, offline models)."""
