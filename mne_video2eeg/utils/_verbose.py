"""MNE's ``@verbose`` for estimator methods.

MNE's decorator only looks at the method's own ``verbose`` argument; an
estimator also takes ``verbose`` in its constructor, which scikit-learn
style makes the default of every method (as in MNE's own decoding classes).
"""

from __future__ import annotations

import functools

from ._docs import verbose as _verbose


def verbose_method(method):
    """Wrap ``method`` with ``@verbose``; ``verbose=None`` means ``self.verbose``.

    The docstring is filled from the package's docdict.

    The method must take ``verbose`` as a keyword-only argument.
    """
    decorated = _verbose(method)

    @functools.wraps(decorated)
    def wrapper(self, *args, **kwargs):
        if kwargs.get("verbose") is None:
            kwargs["verbose"] = getattr(self, "verbose", None)
        return decorated(self, *args, **kwargs)

    return wrapper
