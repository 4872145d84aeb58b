"""python -m builder.templates: write every template design to assets/templates/ (they are committed)."""

from . import TEMPLATE_DIR, write_all

print(f"wrote {write_all()} templates to {TEMPLATE_DIR}")
