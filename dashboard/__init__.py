"""bounceback's dashboard stage."""
