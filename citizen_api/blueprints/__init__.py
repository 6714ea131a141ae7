"""HTTP handlers, one module per domain; citizen_api/composition.py lists and mounts them."""
