"""Define-XML 2.1 for the submission package: the metadata model, its XML and HTML renderings,
and the checks a reviewer's tools run on it (docs/submission-package.md)."""
