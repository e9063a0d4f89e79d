"""ftlab: the small library behind 'Fine-tuning LLMs, where every example runs'."""

from ftlab.model import ModelUnavailable, load_model, load_tokenizer

__all__ = ["ModelUnavailable", "load_model", "load_tokenizer"]
__version__ = "0.1.0"
