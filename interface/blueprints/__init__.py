"""One blueprint per area of the REST API."""
