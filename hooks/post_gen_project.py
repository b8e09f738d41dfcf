"""cookiecutter's post-generation hook: render the kit through copier (see README).

cookiecutter renders this file with Jinja before running it: the strings below receive
the kit's location and cookiecutter's answers. The work is in copier_mlops.cookiecutter_render.
"""

import sys

KIT_ROOT = r"""{{ copier_mlops_kit_root() }}"""
CONTEXT = r"""{{ cookiecutter | tojson }}"""

sys.path.insert(0, f"{KIT_ROOT}/hooks")
from copier_mlops.cookiecutter_render import main  # noqa: E402

sys.exit(main(CONTEXT, KIT_ROOT))
