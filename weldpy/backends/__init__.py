"""The backends: each turns a type-checked program into a callable.

A backend module provides ``prepare(program) -> run`` (a ``weldpy.ir.Program``; its typed
form is ``program.expr``), where ``run(canonical_args)`` returns the canonical result
(``weldpy.runtime.values``; ``weldpy.runtime.marshal`` converts user arguments to it and
results back). Importing this package registers the built backends
with ``weldpy.config``, which ``weldpy.ir.compile`` asks by name at each call.
"""

from weldpy.config import register_backend

register_backend("interp", "weldpy.backends.interp")
register_backend("llvm", "weldpy.backends.llvm")
