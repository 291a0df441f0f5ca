"""``python -m aisec`` runs the CLI."""

from aisec.cli.main import run

run()
