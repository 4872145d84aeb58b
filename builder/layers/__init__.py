"""Layer specs by family. Importing this package registers every type."""

from . import (  # noqa: F401
    activation,
    attention,
    conv,
    core,
    generative,
    merge,
    norm,
    pool,
    recurrent,
    regularization,
    reshape,
)
