"""Files every page shares (the site icon)."""
