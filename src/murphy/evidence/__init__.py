"""Evidence: files kept in the blob store and physical items, with their chain of custody."""
