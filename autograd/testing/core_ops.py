"""Registry entries for this area (see opinfo.py)."""
