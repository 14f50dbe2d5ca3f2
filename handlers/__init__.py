"""One module per job; plain async functions that decide and return replies."""
