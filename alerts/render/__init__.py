"""Rendering a `Notice` for each channel, with that channel's escaping of hostile scraped text."""
