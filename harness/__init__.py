"""polyeval: a multilingual benchmark evaluation harness for large language models."""

__version__ = "0.1.0"
