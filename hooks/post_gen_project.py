"""cookiecutter's post-generation hook: render the kit through copier (see README).

cookiecutter renders this file with Jinja before running it: the strings below receive
the kit's location and cookiecutter's answers. cookiecutter requires this path; the work
is in src/copier_mlops/cookiecutter/render.py.
"""

import sys

KIT_ROOT = r"""{{ copier_mlops_kit_root() }}"""
CONTEXT = r"""{{ cookiecutter | tojson }}"""

sys.path.insert(0, f"{KIT_ROOT}/src")
from copier_mlops.cookiecutter.render import main  # noqa: E402

sys.exit(main(CONTEXT, KIT_ROOT))
