"""A local AWS for Terraform: moto's server over TLS on 127.0.0.1, extended where the stack
would otherwise fail or plan a perpetual diff against it. `up` starts it (or finds the one
running for a state directory), `down` stops it by PID; `server` is the process itself."""

from .launcher import HOST, STATE_FILE, LocalAws, LocalAwsError, down, healthy, status, up

__all__ = ["HOST", "STATE_FILE", "LocalAws", "LocalAwsError", "down", "healthy", "status", "up"]
