"""`python -m httpcore URL`: the `httpcore` command (needs the `cli` extra)."""

from ._cli import main

if __name__ == "__main__":
    main()
