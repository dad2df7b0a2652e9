"""Search: embedders, the dense (FAISS) and lexical (BM25) indexes, fusion and the search engine."""
