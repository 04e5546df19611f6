"""Import checkpoints, chunk commits and the import files in S3."""
