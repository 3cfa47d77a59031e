"""The one place that knows Chroma and the embedding model."""
