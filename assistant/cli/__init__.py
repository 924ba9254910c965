"""The `assistant` command line: thin commands that parse arguments, call a service, and render the result."""
