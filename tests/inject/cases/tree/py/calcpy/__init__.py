"""calcpy: the same calculator in Python."""
from .ops import evaluate

__all__ = ["evaluate"]
