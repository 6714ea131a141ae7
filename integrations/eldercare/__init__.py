"""Adapter to the city's eldercare service platform (居家养老服务平台)."""
