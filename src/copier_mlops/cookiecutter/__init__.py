"""The cookiecutter bridge: cookiecutter.json's Jinja extension; post_gen_project.py's work."""
