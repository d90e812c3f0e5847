"""Table browsing without Textual: catalog, keyset pages, searches and row changes as bound SQL."""
