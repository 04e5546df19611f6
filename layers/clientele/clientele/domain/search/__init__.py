"""Customer search (API.md §14): the terms a customer is found by, the index the stream keeps, `q` pages."""
