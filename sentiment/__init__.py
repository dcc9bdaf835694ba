"""bounceback's sentiment stage."""
