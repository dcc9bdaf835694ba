"""bounceback's crawlers stage."""
