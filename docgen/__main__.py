"""`python -m docgen`: see `docgen.cli`."""

from docgen.cli import main

main()
