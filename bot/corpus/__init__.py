"""What ingestion and the bot share: the docs' naming rules, the index generation on disk, the
embedders, and the text each index sees. Both sides import this layer; neither imports the other."""
