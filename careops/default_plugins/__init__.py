"""The core's own hook implementations, written as plugins."""
