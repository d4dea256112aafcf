"""The application layer: one function per command, typed options in, a typed result out.

The CLI parses, calls one of these and prints the result. `context.open_project` is the one
place that loads the settings and builds the workspace and the runner.
"""
