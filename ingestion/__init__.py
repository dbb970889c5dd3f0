"""The ingestion job: load the bilingual docs, clean, chunk by structure, embed, index, switch."""
