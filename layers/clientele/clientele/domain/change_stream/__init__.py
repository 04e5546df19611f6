"""What follows a committed change (ARCHITECTURE.md §5, API.md §14): effects applied from the table's stream."""
