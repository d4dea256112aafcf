"""infrarep: keep one AWS stack consistent across dev, staging and prod."""

__version__ = "0.1.0"
