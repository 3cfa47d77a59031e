"""Reading article files into the store: parse, chunk, embed, write, incrementally."""
