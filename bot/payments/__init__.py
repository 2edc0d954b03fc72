"""The public payment page a one-time payment link opens. Public: the link's token is its only
key, so it lives apart from the back office's service-token API."""
