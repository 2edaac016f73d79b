"""Security baseline: least-privilege service roles for the application path."""
