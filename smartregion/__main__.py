"""``python -m smartregion`` runs the command line (used by end-to-end fixtures)."""

from smartregion.cli import main

if __name__ == "__main__":
    main()
