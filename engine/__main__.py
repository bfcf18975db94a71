"""``python -m engine``: the engine's commands without the platform's root CLI."""

from engine.cli import main

main()
