"""Adapter to the provincial government-service platform (河南政务服务平台 / 一网通办)."""
