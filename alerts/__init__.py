"""bounceback's alerts stage."""
