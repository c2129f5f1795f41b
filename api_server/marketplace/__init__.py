"""Mineral listings: create, search, update, photos, history."""
