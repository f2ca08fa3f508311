"""`python -m prism_cp` is the `prism-cp` command."""

from prism_cp.cli import app

app(prog_name="prism-cp")
