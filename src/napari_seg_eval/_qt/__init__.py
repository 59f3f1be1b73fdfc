"""The dock widget and its parts (Qt)."""
