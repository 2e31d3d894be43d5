"""The submission package as a whole: the checks a regulator's gateway runs on it."""
