"""Acme support assistant: retrieval-augmented answers and an ops agent (deliberately insecure)."""
