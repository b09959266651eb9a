"""``python -m metareview`` runs the command-line interface."""

from metareview.cli import main

if __name__ == "__main__":
    main()
