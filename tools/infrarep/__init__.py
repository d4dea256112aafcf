"""infrarep: keep one AWS stack consistent across its environments (dev, staging, prod, ...)."""

__version__ = "0.1.0"
