"""copier-mlops' own code, one subpackage per audience.

- `precommit`: the pre-commit hooks a generated project (or any repository) runs;
- `tasks`: copier's copy task and migrations, run as scripts by copier.yml;
- `cookiecutter`: the bridge that renders the kit through copier for cookiecutter users.
"""
