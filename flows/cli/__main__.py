"""`python -m flows.cli`: the same command line as the `baocao` script."""
from flows.cli import main

main()
