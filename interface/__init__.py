"""The REST API, its schemas and authentication, and the command line."""
