"""The public front: home page, error pages, template helpers, debug tools."""
