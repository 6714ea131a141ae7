"""Adapter to the Jiyuan education bureau's enrollment review system (招生审核系统)."""
