"""The drift engine (split into modules by concern in the next commit)."""

from .manifests import *  # noqa: F403
from .manifests import _manifest, _Side  # noqa: F401
