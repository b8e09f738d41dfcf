"""copier's copy task and migrations: copier.yml runs each file as a script.

They use the standard library and PyYAML only and import nothing from this package, so
`python src/copier_mlops/tasks/<name>.py` works from any checkout of the kit.
"""
