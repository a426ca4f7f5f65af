"""The JSON API at /api/v1/: `site.build_api()` assembles it from each app's router and
`urls` serves it. Importing this package imports no app."""
