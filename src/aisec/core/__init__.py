"""The shared kernel: errors, findings, policy, store, audit, crypto, identity.

``aisec.core`` imports nothing else of aisec; every stage package builds on it.
"""
