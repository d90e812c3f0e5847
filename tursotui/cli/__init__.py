"""The scriptable CLI: ``tursotui config|local|db|restore|backup|import|token|setup|replica``.

:mod:`tursotui.cli.parser` builds the whole command line (one line per subcommand); each subcommand is one module
here that declares its arguments (``add_arguments``) and runs them (``main``), imported only when it runs, so
``--help`` stays fast. :mod:`tursotui.cli.context` is what the commands share (output, confirmation, secrets) and
:mod:`tursotui.cli.errors` the one table of exit codes: 0 ok, 1 the operation failed, 2 bad input, 130
interrupted. Every command takes ``--json`` (machine-readable stdout) and ``--yes`` (proceed without asking).
"""
