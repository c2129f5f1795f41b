"""Administration: moderation of listings (more admin route groups join here)."""
