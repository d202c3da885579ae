"""One module per `pmkb` subcommand: `register(parser)` adds its options, `run(args)` returns the exit code."""
